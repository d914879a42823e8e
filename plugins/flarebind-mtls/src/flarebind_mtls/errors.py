"""The mTLS plugin's errors and their texts."""

from __future__ import annotations

from flarebind.plugin import FlarebindError, JsException

# workerd's text for a `redirect` option other than "follow" / "manual"
INVALID_REDIRECT = (
    'Invalid redirect value, must be one of "follow" or "manual" ("error" won\'t be implemented since it does not '
    'make sense at the edge; use "manual" and check the response status code).'
)
# workerd's text when the connection to the origin fails or drops
CONNECTION_LOST = "Network connection lost."
TOO_MANY_REDIRECTS = "Too many redirects."


class CertificateError(FlarebindError):
    """A local certificate is missing, unreadable or invalid; the message says what to run."""


def no_local_certificate(binding: str, certificate_id: str) -> CertificateError:
    return CertificateError(
        f'mTLS binding {binding} has no local certificate for certificate_id "{certificate_id}". Add one with '
        f"`flarebind mtls-certificate add-local {certificate_id} --cert CERT.pem --key KEY.pem`, or set "
        "`remote = true` on the binding to use the certificate uploaded to Cloudflare."
    )


def tls_failure(reason: str) -> JsException:
    # workerd answers a failed TLS handshake with an opaque "internal error"; we keep its words and add why,
    # since locally the reason (an untrusted server, a refused client certificate) is what one needs to fix
    return JsException(f"internal error; TLS handshake with the server failed: {reason}")
