"""``flarebind workflows … --local``: wrangler's Workflows commands against a running ``flarebind dev``.

Like ``wrangler workflows … --local`` they call the dev server's local explorer API
(``http://localhost:<port>/cdn-cgi/explorer/api/workflows…``, see flarebind.explorer.workflows), so they also work
against ``wrangler dev``, and wrangler's commands work against ``flarebind dev``. Without ``--local`` they would
manage deployed workflows through Cloudflare's API, which flarebind does not do: use wrangler for that.
"""

from __future__ import annotations

import datetime as _dt
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlencode

import click

from flarebind.cli.output import info, warning
from flarebind.cli.tables import labelled, table

DEFAULT_PORT = 8787
API = "/cdn-cgi/explorer/api"

STATUS_LABELS = {
    "complete": "✅ Completed",
    "errored": "❌ Errored",
    "unknown": "❓ Unknown",
    "paused": "⏸️ Paused",
    "queued": "⌛ Queued",
    "running": "▶ Running",
    "terminated": "🚫 Terminated",
    "waiting": "⏰ Waiting",
    "waitingForPause": "⏱️ Waiting for Pause",
}
STEP_LABELS = {
    "step": "🎯 Step",
    "sleep": "💤 Sleeping",
    "termination": "🚫 Termination",
    "waitForEvent": "👀 Waiting for event",
}
VALID_STATUSES = ("queued", "running", "paused", "errored", "terminated", "complete", "waiting", "waitingForPause")


class WorkflowsCommandError(click.ClickException):
    exit_code = 1

    def show(self, file: Any = None) -> None:
        from flarebind.cli.output import error

        error(self.message)


def _local_options(func: Any) -> Any:
    func = click.option(
        "--port", type=int, default=DEFAULT_PORT, show_default=True, help="Port of the local dev session"
    )(func)
    func = click.option("--local", is_flag=True, help="Interact with local dev session")(func)
    return func


def _require_local(local: bool) -> None:
    if not local:
        raise WorkflowsCommandError(
            "flarebind manages Workflows of a local dev session only: add --local (with --port if `flarebind dev` "
            "is not on 8787). For deployed Workflows use `wrangler workflows …`."
        )


def fetch_local(port: int, path: str, method: str = "GET", body: Any = None) -> Any:
    """Call the local explorer API; its ``result``, or a wrangler-worded error."""
    url = f"http://localhost:{port}{API}{path}"
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read())["errors"][0]["message"]
        except Exception:
            message = f"HTTP {exc.code}"
        raise WorkflowsCommandError(f"Local API error: {message}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WorkflowsCommandError(
            f'Could not connect to local dev session on port {port}. Make sure "wrangler dev" is running.\n  {reason}'
        ) from None
    if not isinstance(payload, dict) or not payload.get("success"):
        errors = payload.get("errors") if isinstance(payload, dict) else None
        message = errors[0]["message"] if errors else "Unknown local API error"
        raise WorkflowsCommandError(f"Local API error: {message}")
    return payload["result"]


def _instance_path(name: str, id: str | None = None) -> str:
    path = f"/workflows/{quote(name, safe='')}/instances"
    return path if id is None else f"{path}/{quote(id, safe='')}"


def _resolve_id(port: int, name: str, id: str) -> str:
    if id != "latest":
        return id
    instances = fetch_local(port, _instance_path(name))
    if not instances:
        raise WorkflowsCommandError(f'There are no instances in workflow "{name}"')
    id = sorted(instances, key=lambda i: i.get("created_on") or "", reverse=True)[0]["id"]
    info(f'Latest instance is "{id}"')
    return str(id)


def _local_time(iso: str | None) -> str:
    if not iso:
        return ""
    when = _dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone()
    return when.strftime("%m/%d/%Y, %I:%M:%S %p").lstrip("0")


def _duration(start: str | None, end: str | None) -> str | None:
    if not start or not end:
        return None
    seconds = (
        _dt.datetime.fromisoformat(end.replace("Z", "+00:00"))
        - _dt.datetime.fromisoformat(start.replace("Z", "+00:00"))
    ).total_seconds()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = round(seconds / size)
            return f"{n} {unit}{'' if n == 1 else 's'}"
    n = round(seconds)
    return f"{n} second{'' if n == 1 else 's'}"


@click.group("workflows")
def workflows_group() -> None:
    """Manage Workflows (of a local dev session, with --local)."""


@workflows_group.command("list")
@_local_options
def list_command(local: bool, port: int) -> None:
    """List Workflows associated to account"""
    _require_local(local)
    workflows = fetch_local(port, "/workflows")
    if not workflows:
        warning("There are no Workflows in the local dev session")
        return
    info(f"Showing {len(workflows)} workflow{'s' if len(workflows) > 1 else ''} from local dev session:")
    info(
        table(
            [
                {"Name": w["name"], "Script name": w.get("script_name"), "Class name": w.get("class_name")}
                for w in workflows
            ]
        )
    )


@workflows_group.command("describe")
@click.argument("name")
@_local_options
def describe_command(name: str, local: bool, port: int) -> None:
    """Describe Workflow resource"""
    _require_local(local)
    workflow = fetch_local(port, f"/workflows/{quote(name, safe='')}")
    info(
        labelled(
            {
                "Name": workflow["name"],
                "Script Name": workflow.get("script_name"),
                "Class Name": workflow.get("class_name"),
            }
        )
    )
    if workflow.get("instances"):
        info("Instance Status Counts:")
        info(labelled({k: str(v) for k, v in workflow["instances"].items()}, indent=2))


@workflows_group.command("delete")
@click.argument("name")
@_local_options
def delete_command(name: str, local: bool, port: int) -> None:
    """Delete workflow - when deleting a workflow, it will also delete it's own instances"""
    _require_local(local)
    fetch_local(port, f"/workflows/{quote(name, safe='')}", method="DELETE")
    info(f'✅ Workflow "{name}" instances removed successfully from local dev session.')


@workflows_group.command("trigger")
@click.argument("name")
@click.argument("params", default="")
@click.option("--id", "instance_id", help="Custom instance ID, if not provided it will default to a random UUIDv4")
@_local_options
def trigger_command(name: str, params: str, instance_id: str | None, local: bool, port: int) -> None:
    """Trigger a workflow, creating a new instance. Can optionally take a JSON string to pass a parameter into the
    workflow instance"""
    parsed = None
    if params:
        try:
            parsed = json.loads(params)
        except ValueError as exc:
            raise WorkflowsCommandError(f'Error while parsing instance parameters: "{params}" with {exc}\' ') from None
    _require_local(local)
    body: dict[str, Any] = {}
    if instance_id is not None:
        body["id"] = instance_id
    if parsed is not None:
        body["params"] = parsed
    result = fetch_local(port, _instance_path(name), method="POST", body=body)
    info(f'🚀 Workflow instance "{result["id"]}" has been triggered successfully')


@workflows_group.group("instances")
def instances_group() -> None:
    """Manage Workflow instances"""


@instances_group.command("list")
@click.argument("name")
@click.option("--reverse", is_flag=True, help="Reverse order of the instances table")
@click.option(
    "--status",
    help="Filters list by instance status (can be one of: queued, running, paused, errored, terminated, complete)",
)
@click.option("--page", type=int, default=1, show_default=True, help="Show a specific page from the listing")
@click.option("--per-page", "per_page", type=int, help="Configure the maximum number of instances to show per page")
@_local_options
def instances_list(
    name: str, reverse: bool, status: str | None, page: int, per_page: int | None, local: bool, port: int
) -> None:
    """Instance related commands (list, describe, terminate, pause, resume)"""
    _require_local(local)
    query: dict[str, Any] = {}
    if status is not None:
        if status not in VALID_STATUSES:
            raise WorkflowsCommandError(
                f'Looks like you have provided a invalid status "{status}". Valid statuses are: '
                + ", ".join(VALID_STATUSES)
            )
        query["status"] = status
    if per_page is not None:
        query["per_page"] = per_page
    query["page"] = page
    instances = fetch_local(port, _instance_path(name) + "?" + urlencode(query))
    if not instances and page == 1:
        warning(
            f'There are no instances in workflow "{name}". '
            f'You can trigger it with "flarebind workflows trigger {name} --local"'
        )
        return
    if not instances:
        warning(f"No instances found on page {page}. Please try a smaller page number.")
        return
    info(f"Showing {len(instances)} instance{'s' if len(instances) > 1 else ''} from page {page}:")
    ordered = sorted(instances, key=lambda i: i.get("created_on") or "", reverse=not reverse)
    info(
        table(
            [
                {
                    "Instance ID": i["id"],
                    "Created": _local_time(i.get("created_on")) or "N/A",
                    "Status": STATUS_LABELS.get(i.get("status") or "", "N/A"),
                }
                for i in ordered
            ]
        )
    )


@instances_group.command("describe")
@click.argument("name")
@click.argument("id", default="latest")
@click.option(
    "--step-output/--no-step-output",
    default=True,
    help="Don't output the step output since it might clutter the terminal",
)
@click.option("--truncate-output-limit", type=int, default=5000, help="Truncate step output after x characters")
@_local_options
def instances_describe(
    name: str, id: str, step_output: bool, truncate_output_limit: int, local: bool, port: int
) -> None:
    """Describe a workflow instance - see its logs, retries and errors"""
    _require_local(local)
    id = _resolve_id(port, name, id)
    instance = fetch_local(port, _instance_path(name, id))
    fields: dict[str, Any] = {
        "Workflow Name": name,
        "Instance Id": id,
        "Status": STATUS_LABELS.get(instance["status"], "❓ Unknown"),
    }
    if instance.get("queued"):
        fields["Queued"] = _local_time(instance["queued"])
    if instance.get("start"):
        fields["Start"] = _local_time(instance["start"])
    if instance.get("end"):
        fields["End"] = _local_time(instance["end"])
    duration = _duration(instance.get("start"), instance.get("end"))
    if duration:
        fields["Duration"] = duration
    last = None
    for step in instance["steps"]:
        if (step["type"] == "step" and step.get("success")) or (step["type"] == "sleep" and step.get("end")):
            last = step["name"]
    if last is not None:
        fields["Last Successful Step"] = last
    if instance.get("error"):
        fields["Error"] = f"{instance['error']['name']}: {instance['error']['message']}"
    info("Describing latest instance:")
    info(labelled(fields))
    info("Steps:")
    for step in instance["steps"]:
        info("")
        shown: dict[str, Any] = {"Name": step["name"], "Type": STEP_LABELS.get(step["type"], "❓ Unknown")}
        if step.get("start"):
            shown["Start"] = _local_time(step["start"])
        if step.get("end"):
            shown["End"] = _local_time(step["end"])
        d = _duration(step.get("start"), step.get("end"))
        if d:
            shown["Duration"] = d
        if step["type"] == "step":
            shown["Success"] = (
                "▶ Running" if step.get("success") is None else ("✅ Yes" if step["success"] else "❌ No")
            )
        if step["type"] in ("step", "waitForEvent") and step.get("output") is not None and step_output:
            text = json.dumps(step["output"])
            shown["Output"] = (
                text if len(text) <= truncate_output_limit else text[:truncate_output_limit] + "[...output truncated]"
            )
        info(labelled(shown, indent=2))
        if step["type"] == "step" and step.get("attempts"):
            rows = []
            for attempt in step["attempts"]:
                state = (
                    "🔄 Working"
                    if attempt.get("success") is None
                    else ("✅ Success" if attempt["success"] else "❌ Error")
                )
                row = {
                    "Start": _local_time(attempt.get("start")),
                    "End": _local_time(attempt.get("end")),
                    "State": state,
                }
                if attempt.get("error"):
                    row["Error"] = f"{attempt['error']['name']}: {attempt['error']['message']}"
                rows.append(row)
            info(table(rows))


@instances_group.command("send-event")
@click.argument("name")
@click.argument("id", default="latest")
@click.option("--type", "event_type", required=True, help="Type of the workflow event")
@click.option("--payload", default="{}", help='JSON string for the workflow event (e.g., \'{"key": "value"}\')')
@_local_options
def instances_send_event(name: str, id: str, event_type: str, payload: str, local: bool, port: int) -> None:
    """Send an event to a workflow instance"""
    try:
        parsed = json.loads(payload)
    except ValueError as exc:
        raise WorkflowsCommandError(f'Error while parsing event payload: "{payload}" with {exc}\' ') from None
    _require_local(local)
    id = _resolve_id(port, name, id)
    fetch_local(
        port, _instance_path(name, id) + f"/events/{quote(event_type, safe='')}", method="POST", body=payload.encode()
    )
    payload_info = f' and payload "{payload}"' if isinstance(parsed, dict) and parsed else ""
    info(f'📤 The event with type "{event_type}"{payload_info} was sent to the instance "{id}" from {name}')


def _status_command(action: str, verb: str, emoji: str) -> click.Command:
    @click.command(action)
    @click.argument("name")
    @click.argument("id", default="latest")
    @_local_options
    def command(name: str, id: str, local: bool, port: int) -> None:
        _require_local(local)
        id = _resolve_id(port, name, id)
        fetch_local(port, _instance_path(name, id) + "/status", method="PATCH", body={"action": action})
        info(f'{emoji} The instance "{id}" from {name} was {verb} successfully')

    command.help = f"{action.capitalize()} a workflow instance"
    return command


for _action, _verb, _emoji in (
    ("pause", "paused", "⏸️"),
    ("resume", "resumed", "🔄"),
    ("terminate", "terminated", "🥷"),
    ("restart", "restarted", "🥷"),
):
    instances_group.add_command(_status_command(_action, _verb, _emoji))
