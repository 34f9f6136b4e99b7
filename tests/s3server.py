"""A real S3-protocol server on 127.0.0.1 for the tests: moto's server mode in a subprocess.

It speaks the S3 REST protocol over HTTP (multipart uploads, ETags, paginated listings), so
the blob store is exercised through boto3 exactly as against MinIO or Ceph RGW; nothing in
the code under test knows it is a test server. Credentials are any non-empty pair.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tests.support.serve import free_port as _free_port

#: Credentials the server accepts (any); given to the code under test through the environment.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "diia-test",
    "AWS_SECRET_ACCESS_KEY": "diia-test-secret",
    "AWS_DEFAULT_REGION": "eu-central-1",
}


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def client(self) -> Any:
        import boto3

        return boto3.session.Session(
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
        ).client("s3", endpoint_url=self.endpoint)

    def new_bucket(self) -> str:
        name = f"diia-{secrets.token_hex(6)}"
        self.client().create_bucket(
            Bucket=name,
            CreateBucketConfiguration={"LocationConstraint": CREDENTIALS["AWS_DEFAULT_REGION"]},
        )
        return name


@contextmanager
def running_s3() -> Iterator[S3Server]:
    port = _free_port()
    env = {**os.environ, **CREDENTIALS}
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a safety net for a hung start, not a measure
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"moto server exited with {proc.returncode}")
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("moto server did not answer") from None
                time.sleep(0.1)
        yield S3Server(endpoint)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
