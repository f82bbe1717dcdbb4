"""Where an export goes: a directory, an S3 bucket, or an SMTP server (Global Relay).

Every destination is idempotent for the same artifact: the same name and bytes
written twice leave one copy (directory: temp file + fsync + rename; S3: the same
key), and the same EML sent twice carries the same ``Message-ID``.  That is what
lets an export that crashed after delivering but before recording it run again
without duplicating anything at the vendor.

SMTP follows Mattermost's Global Relay delivery
(server/enterprise/message_export/global_relay_export/deliver.go): one message per
EML, envelope sender = the EML's ``From``, one recipient (the Global Relay
ingestion address), at most 400 messages per connection; here with STARTTLS
required and SMTP AUTH.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email import message_from_bytes
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Protocol

MAX_EMAILS_PER_CONNECTION = 400


class DeliveryError(RuntimeError):
    pass


class Destination(Protocol):
    kind: str

    def describe(self) -> str: ...
    def deliver(self, name: str, data: bytes, emails: Mapping[str, bytes]) -> None: ...


def write_atomic(path: Path, data: bytes) -> None:
    """temp file + fsync + rename + directory fsync: the file is whole or absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class DirectoryDestination:
    path: Path
    kind: str = "directory"

    def describe(self) -> str:
        return f"directory:{self.path}"

    def deliver(self, name: str, data: bytes, emails: Mapping[str, bytes]) -> None:
        write_atomic(self.path / name, data)


@dataclass
class S3Destination:
    bucket: str
    prefix: str = "dlp-exports/"
    client_kwargs: dict[str, Any] | None = None
    kind: str = "s3"

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def deliver(self, name: str, data: bytes, emails: Mapping[str, bytes]) -> None:
        import base64
        import hashlib

        import boto3

        client = boto3.client("s3", **(self.client_kwargs or {}))
        digest = hashlib.sha256(data).digest()
        client.put_object(Bucket=self.bucket, Key=self.prefix + name, Body=data,
                          ChecksumSHA256=base64.b64encode(digest).decode(),
                          Metadata={"sha256": digest.hex()})


@dataclass
class SmtpDestination:
    host: str
    port: int
    to: str
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    cafile: str | None = None
    timeout: float = 30.0
    kind: str = "smtp"

    def describe(self) -> str:
        return f"smtp://{self.host}:{self.port} to {self.to}"

    def _connect(self) -> smtplib.SMTP:
        conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            conn.ehlo()
            if self.starttls:
                ctx = ssl.create_default_context(cafile=self.cafile)
                conn.starttls(context=ctx)
                conn.ehlo()
            if self.username:
                if not self.starttls:
                    raise DeliveryError("refusing SMTP AUTH without STARTTLS")
                conn.login(self.username, self.password or "")
        except Exception:
            conn.close()
            raise
        return conn

    def deliver(self, name: str, data: bytes, emails: Mapping[str, bytes]) -> None:
        if not emails:
            return  # a batch without a stopped post (the format was checked when the job was configured)
        conn = self._connect()
        try:
            for n, (_, eml) in enumerate(sorted(emails.items()), start=1):
                sender = parseaddr(str(message_from_bytes(eml).get("From", "")))[1]
                refused = conn.sendmail(sender, [self.to], eml)
                if refused:
                    raise DeliveryError(f"the SMTP server refused {len(refused)} recipient(s)")
                if n % MAX_EMAILS_PER_CONNECTION == 0:
                    conn.quit()
                    conn = self._connect()
        finally:
            try:
                conn.quit()
            except smtplib.SMTPException:
                conn.close()
