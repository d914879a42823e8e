"""R2MultipartUpload: parts are blobs of their own; completing links them to the object row (wrangler's layout)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flarebind.plugin import JsObject

from flarebind_r2.errors import NO_SUCH_UPLOAD, R2Error
from flarebind_r2.objects import R2Object, Subscriptable
from flarebind_r2.store import PartRow, new_upload_id
from flarebind_r2.validation import check_key, check_part_number
from flarebind_r2.writing import write_value

if TYPE_CHECKING:
    from flarebind_r2.binding import R2Bucket


class R2MultipartUpload(Subscriptable):
    def __init__(self, bucket: R2Bucket, key: str, upload_id: str) -> None:
        self._bucket = bucket
        self.key = key
        self.uploadId = upload_id

    async def uploadPart(self, partNumber: int, value: Any, options: Any = None, **kw: Any) -> JsObject:
        check_part_number(partNumber)
        self._bucket._reject_ssec({**(options or {}), **kw})
        action = "uploadPart"
        check_key(action, self.key)
        store = self._bucket._store
        if not store.upload_exists(self.key, self.uploadId):
            # fail before streaming a part nobody will keep (the transaction below checks again)
            raise R2Error(action, NO_SUCH_UPLOAD)
        written = await write_value(store.blobs, value, ("md5",), action)
        part = PartRow(
            part_number=partNumber,
            blob_id=written.blob_id,
            size=written.size,
            etag=new_upload_id(),
            checksum_md5=written.digests["md5"].hex(),
        )
        try:
            store.put_part(self.key, self.uploadId, part)
        except BaseException:
            store.blobs.delete(written.blob_id)
            raise
        return JsObject(partNumber=partNumber, etag=part.etag)

    async def complete(self, uploadedParts: Iterable[Any]) -> R2Object:
        selected = []
        for part in uploadedParts:
            number = part["partNumber"] if isinstance(part, dict) else part.partNumber
            etag = part["etag"] if isinstance(part, dict) else part.etag
            check_part_number(number)
            selected.append((number, str(etag)))
        check_key("completeMultipartUpload", self.key)
        row = self._bucket._store.complete_upload(
            self.key, self.uploadId, selected, self._bucket.min_part_size, self._bucket._now_ms()
        )
        return R2Object(row)

    async def abort(self) -> None:
        check_key("abortMultipartUpload", self.key)
        self._bucket._store.abort_upload(self.key, self.uploadId)

    def __repr__(self) -> str:
        return f"<R2MultipartUpload key={self.key!r} uploadId={self.uploadId[:12]}…>"
