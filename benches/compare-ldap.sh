#!/usr/bin/env bash
# LDAP bind+search throughput of ccelab's AD DC (port 389 of `ccelab up`)
# against OpenLDAP's slapd (Debian package; mdb backend) loaded with the same
# user entries, under the same load (`ldap-load`: $CLIENTS connections, each
# repeating "simple bind as a random user, subtree search for that user"
# for $SECONDS_PER_RUN seconds). Loopback only; every run stops by itself.
# Prints both rates and their ratio (ccelab / slapd).
#
#   bash benches/compare-ldap.sh
#   USERS=500 CLIENTS=16 SECONDS_PER_RUN=5 bash benches/compare-ldap.sh
#
# Needs slapd and ldap-utils (`apt-get install slapd ldap-utils`).
set -euo pipefail
cd "$(dirname "$0")/.."
T=${SECONDS_PER_RUN:-10}
USERS=${USERS:-200}
CLIENTS=${CLIENTS:-8}
command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ] || { echo "compare-ldap: slapd is missing (apt-get install slapd)" >&2; exit 2; }
SLAPD=$(command -v slapd || echo /usr/sbin/slapd)
SLAPADD=$(command -v slapadd || echo /usr/sbin/slapadd)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; [ -f "$work/slapd.pid" ] && kill "$(cat "$work/slapd.pid")" 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --release -q -p ccelab -p ccelab-benches
bin=target/release/ccelab
load=target/release/ldap-load

# the same users for both: cn=userN,cn=Users,dc=example,dc=local with uid,
# mail and password; in AD an inetOrgPerson is also a user with a
# sAMAccountName (AD's schema), which OpenLDAP's schema does not have
users() { # $1 = ad or openldap
  local class='' sam=''
  for i in $(seq 0 $((USERS - 1))); do
    if [ "$1" = ad ]; then class='objectClass: user\n'; sam="sAMAccountName: user$i\n"; fi
    printf 'dn: cn=user%d,cn=Users,dc=example,dc=local\nobjectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\n%bobjectClass: inetOrgPerson\ncn: user%d\nsn: User%d\nuid: user%d\nmail: user%d@example.local\n%buserPassword: Password1\n\n' \
      "$i" "$class" "$i" "$i" "$i" "$i" "$sam"
  done
}
users ad >"$work/users.ldif"
users openldap >"$work/users-openldap.ldif"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/"$1"/"$2") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
run_load() { # addr -> the load's output line
  "$load" --addr "$1" --users "$USERS" --clients "$CLIENTS" --seconds "$T" \
    --dn 'cn=user{i},cn=Users,dc=example,dc=local' --password Password1 \
    --base 'cn=Users,dc=example,dc=local' --filter '(uid=user{i})'
}

# ccelab: the pcce-2000 topology with the users added by LDIF
printf '[ad_dc]\nldif = "users.ldif"\n' >"$work/topology.toml"
"$bin" up --topology "$work/topology.toml" --dir "$work/lab" --ephemeral-ports --duration $((T + 60)) >/dev/null &
for _ in $(seq 200); do [ -f "$work/lab/topology.json" ] && break; sleep 0.05; done
ccelab_port=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); print([s["bound_port"] for h in t["hosts"] if h["role"]=="ad-dc" for s in h["services"] if s["port"]==389][0])' "$work/lab/topology.json")
wait_port 127.0.0.14 "$ccelab_port"
ours=$(run_load "127.0.0.14:$ccelab_port")
echo "ccelab (AD DC, 389):   $ours"
kill %1 2>/dev/null || true
wait 2>/dev/null || true

# slapd: mdb, the same entries, plain-text passwords as given
mkdir -p "$work/db"
cat >"$work/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile $work/slapd.pid
# no per-operation logging (ccelab keeps its events in memory)
loglevel 0
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 1073741824
suffix "dc=example,dc=local"
rootdn "cn=admin,dc=example,dc=local"
rootpw secret
directory $work/db
index objectClass eq
index uid eq
access to * by * read
EOF
{
  printf 'dn: dc=example,dc=local\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n'
  printf 'dn: cn=Users,dc=example,dc=local\nobjectClass: top\nobjectClass: organizationalRole\ncn: Users\n\n'
  cat "$work/users-openldap.ldif"
} >"$work/all.ldif"
"$SLAPADD" -q -f "$work/slapd.conf" -l "$work/all.ldif"
slapd_port=$(port)
"$SLAPD" -f "$work/slapd.conf" -h "ldap://127.0.0.1:$slapd_port/"
wait_port 127.0.0.1 "$slapd_port"
theirs=$(run_load "127.0.0.1:$slapd_port")
echo "OpenLDAP slapd (mdb):  $theirs"

python3 - "$ours" "$theirs" <<'EOF'
import sys
a, b = (float(x.split()[0]) for x in sys.argv[1:3])
print(f"ratio ccelab / slapd: {a / b:.2f}x (target >= 1.0)")
EOF
