"""Container health probe: GET a path of the local gunicorn and exit 0 only on HTTP 200.

Sends a Host header from ALLOWED_HOSTS (Django answers 400 to any other host) and the forwarded
scheme the proxy would send, so the probe sees what a real request sees. Standard library only:
the slim image has no curl.

Usage: python deploy/healthcheck.py [/healthz]
"""

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else "/healthz"
    if not path.startswith("/"):
        print("healthcheck: the path must start with /", file=sys.stderr)
        return 2
    host = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip().lstrip(".")
    if not host or host == "*":
        host = "localhost"
    # Always plain http to the local gunicorn: no caller-chosen scheme (file:, ftp:) can reach urlopen.
    request = urllib.request.Request(
        "http://127.0.0.1:8000" + path, headers={"Host": host, "X-Forwarded-Proto": "https"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"healthcheck {path}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
