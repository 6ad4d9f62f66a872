"""S3 URL forms a documentSource or a presigned-URL placeholder may take (issue 13)."""

from __future__ import annotations

from typing import Optional

import pytest

from mock_iotjobs.backend.jobs.s3 import S3Location, S3Objects, moto_active, parse_placeholder_target, parse_s3_url


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://s3.amazonaws.com/bucket/a/b.json", S3Location("bucket", "a/b.json")),
        ("https://s3.eu-west-1.amazonaws.com/bucket/k", S3Location("bucket", "k", "eu-west-1")),
        ("https://s3-ap-southeast-2.amazonaws.com/bucket/k", S3Location("bucket", "k", "ap-southeast-2")),
        ("https://bucket.s3.amazonaws.com/dir/k", S3Location("bucket", "dir/k")),
        ("https://my.bucket.s3.us-gov-west-1.amazonaws.com/k", S3Location("my.bucket", "k", "us-gov-west-1")),
        ("https://s3.cn-north-1.amazonaws.com.cn/bucket/k", S3Location("bucket", "k", "cn-north-1")),
        ("https://s3.amazonaws.com/bucket/with%20space", S3Location("bucket", "with space")),
        ("https://s3.amazonaws.com/bucket", None),
        ("https://s3.amazonaws.com/bucket/", None),
        ("https://s3.amazonaws.com/Bucket/k", None),
        ("https://s3.amazonaws.com/b/k", None),
        ("https://bucket.s3.amazonaws.com/", None),
        ("http://s3.amazonaws.com/bucket/k", None),
        ("s3://bucket/k", None),
        ("https://example.com/bucket/k", None),
        ("https://s3.amazonaws.com:8443/bucket/k", None),
        ("https://s3.amazonaws.com/bucket/k?versionId=3", None),
        ("https://s3.amazonaws.com/bucket/k#frag", None),
        ("https://[::1/bucket/k", None),
    ],
)
def test_parse_s3_url(url: str, expected: Optional[S3Location]) -> None:
    assert parse_s3_url(url) == expected


def test_placeholder_targets() -> None:
    assert parse_placeholder_target("bucket/fw.bin") == S3Location("bucket", "fw.bin")
    assert parse_placeholder_target("https://bucket.s3.amazonaws.com/fw.bin") == S3Location("bucket", "fw.bin")
    assert parse_placeholder_target("bucket") is None
    assert parse_placeholder_target("https://example.com/fw.bin") is None


def test_objects_store() -> None:
    objects = S3Objects()
    objects.put("b", "k", b"1")
    assert objects.get("b", "k") == b"1" and objects.get("b", "other") is None and len(objects) == 1
    objects.clear()
    assert objects.get("b", "k") is None


def test_moto_is_not_active_by_default() -> None:
    assert moto_active() is False
