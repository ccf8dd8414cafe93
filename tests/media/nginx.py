"""A private nginx-rtmp ingest for the media tests: its own prefix, config and free ports.

The system nginx is never touched: the server runs from a temporary prefix with a config written here
(``load_module`` of the Debian ``libnginx-mod-rtmp``), listens on 127.0.0.1 only, and is stopped by the
fixture. :meth:`NginxRtmp.kill` and :meth:`NginxRtmp.start` let a test drop the ingest mid-push.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tests.processes import free_port, port_open, process_alive

MODULE = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")

CONFIG = """\
load_module {module};
daemon on;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 128; }}
rtmp {{
  server {{
    listen 127.0.0.1:{port};
    chunk_size 4096;
    application live {{ live on; record off; wait_key on; wait_video on; }}
  }}
}}
http {{
  access_log {prefix}/access.log;
  client_body_temp_path {prefix}/tmp; proxy_temp_path {prefix}/tmp; fastcgi_temp_path {prefix}/tmp;
  uwsgi_temp_path {prefix}/tmp; scgi_temp_path {prefix}/tmp;
  server {{ listen 127.0.0.1:{stat_port}; location /stat {{ rtmp_stat all; }} }}
}}
"""


class NginxMissing(RuntimeError):
    """nginx or its RTMP module is not installed."""


class NginxRtmp:
    """nginx with the RTMP module, serving ``rtmp://127.0.0.1:<port>/live/<key>``."""

    def __init__(self, prefix: Path) -> None:
        binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
        if binary is None or not MODULE.exists():
            raise NginxMissing("nginx with the RTMP module is not installed (apt-get install nginx "
                               "libnginx-mod-rtmp)")
        self.binary = binary
        self.prefix = prefix
        self.port = free_port()
        self.stat_port = free_port()
        (prefix / "tmp").mkdir(parents=True, exist_ok=True)
        self.config = prefix / "nginx.conf"
        self.config.write_text(CONFIG.format(module=MODULE, prefix=prefix, port=self.port,
                                             stat_port=self.stat_port), encoding="utf-8")

    def url(self, key: str) -> str:
        return f"rtmp://127.0.0.1:{self.port}/live/{key}"

    def start(self, timeout: float = 10.0) -> None:
        subprocess.run([self.binary, "-p", str(self.prefix), "-c", str(self.config)], check=True,
                       capture_output=True, timeout=timeout)
        deadline = time.monotonic() + timeout
        while not port_open(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not listen on {self.port}: {self.error_log()}")
            time.sleep(0.05)

    def _pid(self) -> int | None:
        try:
            return int((self.prefix / "nginx.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def kill(self, timeout: float = 10.0) -> None:
        """Stop at once (SIGTERM: connections are dropped, as when an ingest fails)."""
        pid = self._pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        while port_open(self.port) or (pid is not None and process_alive(pid)):
            if time.monotonic() > deadline:
                raise RuntimeError("nginx did not stop")
            time.sleep(0.05)

    stop = kill

    def _processes(self) -> list[int]:
        """The master and its workers."""
        master = self._pid()
        if master is None:
            return []
        found = [master]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == master:
                    found.append(int(entry.name))
        return found

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open but nothing is read, as with a hung ingest."""
        for pid in self._processes():
            os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        for pid in self._processes():
            os.kill(pid, signal.SIGCONT)

    def error_log(self) -> str:
        try:
            return (self.prefix / "error.log").read_text(encoding="utf-8", errors="replace")[-2000:]
        except OSError:
            return ""
