"""AWS Signature Version 4 for one request, as a pure function of its inputs.

botocore still resolves the credentials (the chain is the hard part); signing itself is
a few hashes, done here without building botocore request objects on each call. A test
checks the result against botocore's own signer, and the Bedrock fake recomputes it.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from urllib.parse import quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sign(method: str, url: str, body: bytes, *, region: str, service: str, access_key: str,
         secret_key: str, token: str | None, now: datetime) -> dict[str, str]:
    """The headers that authorise ``method url`` with ``body`` (send them all as given,
    ``host`` included: it is part of what is signed)."""
    parts = urlsplit(url)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    headers = {"content-type": "application/json", "host": parts.netloc, "x-amz-date": amz_date}
    if token:
        headers["x-amz-security-token"] = token
    signed = ";".join(sorted(headers))
    query = "&".join(sorted(p for p in parts.query.split("&") if p))
    canonical = "\n".join([
        method,
        # Every service but S3 signs the path encoded once more than it is sent.
        quote(parts.path or "/", safe="/~"),
        query,
        "".join(f"{name}:{headers[name].strip()}\n" for name in sorted(headers)),
        signed,
        hashlib.sha256(body).hexdigest(),
    ])
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret_key}".encode(), day), region), service), "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"{ALGORITHM} Credential={access_key}/{scope}, SignedHeaders={signed}, "
                                f"Signature={signature}")
    return headers
