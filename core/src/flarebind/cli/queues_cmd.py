"""``flarebind queues list|info|purge --local``: the local queues of a project, read from its state folder.

wrangler's ``queues`` commands manage queues on Cloudflare only; these are their local counterparts, shaped like
them, over the persisted local broker (``.wrangler/state/v3/queues/flarebind-queues/queues.sqlite``). They read the
config for producers and consumers and can run while ``flarebind dev`` is up.
"""

from __future__ import annotations

from typing import Any

import click

from flarebind.cli.common import config_options, handle_config_error, load_project
from flarebind.cli.output import info, warning
from flarebind.cli.tables import table


class QueuesCommandError(click.ClickException):
    exit_code = 1

    def show(self, file: Any = None) -> None:
        from flarebind.cli.output import error

        error(self.message)


def _require_local(local: bool) -> None:
    if not local:
        raise QueuesCommandError(
            "flarebind manages local queues only: add --local. For queues on Cloudflare use `wrangler queues …`."
        )


def _store(project: Any) -> Any:
    from flarebind.runtime.queues.store import QueueStore, queues_db_path

    ctx = project.local_context()
    path = queues_db_path(ctx.v3_dir())
    return QueueStore(path if path.exists() else None)


def _topology(project: Any) -> dict[str, dict[str, list[str]]]:
    worker = project.config.name or project.config.path.parent.name
    queues: dict[str, dict[str, list[str]]] = {}
    for spec in project.bindings_of_type("queue").values():
        queues.setdefault(spec["queue"], {"producers": [], "consumers": []})["producers"].append(f"worker:{worker}")
    for consumer in (project.config.flat.get("queues") or {}).get("consumers") or []:
        if isinstance(consumer, dict) and consumer.get("queue"):
            entry = queues.setdefault(consumer["queue"], {"producers": [], "consumers": []})
            entry["consumers"].append(f"worker:{worker}")
            dlq = consumer.get("dead_letter_queue")
            if dlq:
                queues.setdefault(dlq, {"producers": [], "consumers": []})
    return queues


@click.group("queues")
def queues_group() -> None:
    """Manage local Queues (with --local)."""


@queues_group.command("list")
@click.option("--local", is_flag=True, help="List the queues of the local state folder")
@config_options
@handle_config_error
def list_command(local: bool, config: str | None, env: str | None, persist_to: str | None) -> None:
    """List queues"""
    _require_local(local)
    project = load_project(config, env, persist_to)
    try:
        store = _store(project)
        backlog = dict(store.queues())
        store.close()
        topology = _topology(project)
        names = sorted(set(topology) | set(backlog))
        if not names:
            warning("There are no queues in this project's config or local state.")
            return
        rows = []
        for name in names:
            t = topology.get(name, {"producers": [], "consumers": []})
            rows.append(
                {
                    "name": name,
                    "producers": str(len(t["producers"])),
                    "consumers": str(len(t["consumers"])),
                    "backlog": str(backlog.get(name, 0)),
                }
            )
        info(table(rows))
    finally:
        project.close()


@queues_group.command("info")
@click.argument("name")
@click.option("--local", is_flag=True, help="Describe the queue in the local state folder")
@config_options
@handle_config_error
def info_command(name: str, local: bool, config: str | None, env: str | None, persist_to: str | None) -> None:
    """Get queue information"""
    _require_local(local)
    project = load_project(config, env, persist_to)
    try:
        store = _store(project)
        metrics = store.metrics(name)
        store.close()
        t = _topology(project).get(name)
        if t is None and not metrics["backlogCount"]:
            raise QueuesCommandError(f'Queue "{name}" is not in the config and has no local messages.')
        t = t or {"producers": [], "consumers": []}
        lines = [f"Queue Name: {name}", f"Number of Producers: {len(t['producers'])}"]
        if t["producers"]:
            lines.append("Producers:" + ",".join(f" {p}" for p in t["producers"]))
        lines.append(f"Number of Consumers: {len(t['consumers'])}")
        if t["consumers"]:
            lines.append("Consumers: " + ",".join(t["consumers"]))
        lines.append(f"Backlog: {metrics['backlogCount']} messages ({metrics['backlogBytes']} bytes)")
        info("\n".join(lines))
    finally:
        project.close()


@queues_group.command("purge")
@click.argument("name")
@click.option("--force", is_flag=True, help="Skip the confirmation dialog and forcefully purge the Queue")
@click.option("--local", is_flag=True, help="Purge the queue in the local state folder")
@config_options
@handle_config_error
def purge_command(
    name: str, force: bool, local: bool, config: str | None, env: str | None, persist_to: str | None
) -> None:
    """Purge messages from a queue"""
    _require_local(local)
    if not force:
        typed = click.prompt(
            f"This operation will permanently delete all the messages in Queue {name}. Type {name} to proceed.",
            default="",
            show_default=False,
        )
        if typed != name:
            raise QueuesCommandError("Incorrect queue name provided. Skipping purge operation")
    project = load_project(config, env, persist_to)
    try:
        store = _store(project)
        store.purge(name)
        store.close()
        info(f"Purged Queue '{name}'")
    finally:
        project.close()
