"""The python-ldap3 client of the AD emulator tests (emulators/tests/ad_dc.rs).

Reads a JSON list of cases from argv[1] and prints a JSON list of outcomes.
A case: host, port, ssl (LDAPS), ca (PEM file: validate the certificate),
starttls, user/password (simple bind; none: anonymous), base/filter/scope/
attributes (a search), whoami, info ("DSA": read the RootDSE as ldap3 does).
The outcome keeps ldap3's own result dictionaries (result, description,
message with AD's trailing NUL, referrals) and the entries and references.
"""
import json
import ssl
import sys

import ldap3


def run(c):
    out = {}
    tls = None
    if c.get("ca"):
        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=c["ca"])
    info = ldap3.DSA if c.get("info") == "DSA" else ldap3.NONE
    server = ldap3.Server(c["host"], port=c["port"], use_ssl=c.get("ssl", False),
                          tls=tls, get_info=info, connect_timeout=10)
    user = c.get("user")
    conn = ldap3.Connection(server, user=user, password=c.get("password"),
                            authentication=ldap3.SIMPLE if user else ldap3.ANONYMOUS,
                            raise_exceptions=False, receive_timeout=10,
                            auto_referrals=False)
    try:
        conn.open()
        if c.get("starttls"):
            out["starttls"] = conn.start_tls()
        out["bind"] = conn.bind()
        out["bind_result"] = conn.result
        if info != ldap3.NONE and server.info is not None:
            out["naming_contexts"] = [str(x) for x in server.info.naming_contexts]
            out["supported_extensions"] = [x[0] for x in server.info.supported_extensions]
        if "base" in c:
            scope = {"base": ldap3.BASE, "one": ldap3.LEVEL}.get(c.get("scope"), ldap3.SUBTREE)
            conn.search(c["base"], c["filter"], search_scope=scope,
                        attributes=c.get("attributes", ldap3.NO_ATTRIBUTES))
            out["search_result"] = conn.result
            out["entries"] = [
                {"dn": r["dn"],
                 "attributes": {k: [str(v) for v in (vs if isinstance(vs, list) else [vs])]
                                for k, vs in r["attributes"].items()}}
                for r in (conn.response or []) if r["type"] == "searchResEntry"]
            out["refs"] = [u for r in (conn.response or []) if r["type"] == "searchResRef"
                           for u in r["uri"]]
        if c.get("whoami"):
            out["whoami"] = conn.extend.standard.who_am_i()
        conn.unbind()
    except Exception as e:  # reported, not raised: the test asserts on it
        out["exception"] = "%s: %s" % (type(e).__name__, e)
    return out


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    print(json.dumps([run(c) for c in cases], default=str))


if __name__ == "__main__":
    main()
