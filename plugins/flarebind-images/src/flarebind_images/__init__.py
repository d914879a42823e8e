"""flarebind plugin for the Images binding: declares the type, its adapters and the image-resizing edge paths.

Everything heavy (Pillow) is imported only when a binding is built or an image URL is served.
"""

from __future__ import annotations

from typing import Any

from flarebind.plugin import BindingType, Shape, Support, hookimpl


def upload_metadata(name: str, spec: Any) -> dict[str, Any]:
    return {"name": name, "type": "images"}


@hookimpl
def register_binding_types(register: Any) -> None:
    register(
        BindingType(
            type="images",
            stub="flarebind_images.binding:ImagesBinding",  # what `flarebind types` gives env.NAME
            config_key="images",
            friendly_name="Images",
            # Miniflare ships a local Images binding, so wrangler runs it locally unless `remote = true`
            support=Support.LOCAL_AND_REMOTE,
            shape=Shape.OBJECT,
            fields={"binding": str},
            required=("binding",),
            upload_metadata=upload_metadata,
            simulator="full transformation API (Pillow)",
        )
    )


@hookimpl
def register_adapters(register: Any) -> None:
    register.local("images", "flarebind_images.local:make_local")
    register.remote("images", "flarebind_images.remote:make_remote")
    # the same engine behind /cdn-cgi/image/<options>/<source> in `flarebind dev` and fetch(url, cf={"image": …})
    register.cdn_cgi("image", "flarebind_images.edge:serve_cdn_cgi")
    register.fetch_cf("image", "flarebind_images.edge:fetch_with_image")
