"""A field-style VOS certificate expiry check, as public scripts do it with
paramiko: log in to the admin CLI, wait for `admin:`, turn pagination off,
run `show cert own tomcat`, and parse the `To:` line of the dump
(`'%a %b %d %H:%M:%S %Y'` once the zone is cut out).

usage: vos_cert_expiry.py HOST USER PASSWORD [PORT]   (PORT: 22)
prints: `expires YYYY-MM-DD HH:MM:SS`
"""
import datetime
import sys
import time

import paramiko


def main():
    host, user, password = sys.argv[1], sys.argv[2], sys.argv[3]
    port = int(sys.argv[4]) if len(sys.argv) > 4 else 22
    c = paramiko.SSHClient()
    c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    c.connect(host, port=port, username=user, password=password,
              look_for_keys=False, allow_agent=False, timeout=20)
    sh = c.invoke_shell()

    def until(text, seconds=30):
        buf = ""
        end = time.time() + seconds
        while text not in buf:
            if time.time() > end:
                raise SystemExit("timeout waiting for %r; got %r" % (text, buf))
            if sh.recv_ready():
                buf += sh.recv(65535).decode("utf-8", "replace")
            else:
                time.sleep(0.02)
        return buf

    until("admin:")
    sh.send("set cli pagination off\n")
    until("admin:")
    sh.send("show cert own tomcat\n")
    out = until("admin:")
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("To:"):
            valid_to = line[3:].strip()
            # cut the zone out: valid_to[-8:-5] is e.g. "UTC"
            parsed = datetime.datetime.strptime(valid_to[:-8] + valid_to[-4:], "%a %b %d %H:%M:%S %Y")
            print("expires", parsed.strftime("%Y-%m-%d %H:%M:%S"))
            break
    else:
        raise SystemExit("no To: line in %r" % out)
    sh.send("exit\n")
    c.close()


if __name__ == "__main__":
    main()
