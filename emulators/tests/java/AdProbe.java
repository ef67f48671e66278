// The JNDI client of the AD emulator tests (emulators/tests/ad_dc.rs): what
// an ECE application server does for partition-administrator SSO ([ECE] 2.2)
//: an InitialDirContext with JNDI's defaults (java.naming.referral unset,
// i.e. "ignore"), a simple bind unless the case is anonymous, one search.
// Trust comes from -Djavax.net.ssl.trustStore, as the ECE keystore of [ECE] 2.1.
//
// Batch mode: each line of the spec file is tab-separated
//   ID URL AUTH(simple|none) PRINCIPAL PASSWORD BASE(-: no search) FILTER SCOPE(base|one|sub) ATTRS(a,b|-)
// and prints `CASE ID`, one `ENTRY <dn>` per result with its `ATTR <name>: <value>`
// lines (sorted), then `OK` or the exception chain (`EXC <toString>` from the top
// down), then `END`. Newlines and NULs in texts are printed as \n and \0.
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Hashtable;
import javax.naming.Context;
import javax.naming.NamingEnumeration;
import javax.naming.directory.Attribute;
import javax.naming.directory.DirContext;
import javax.naming.directory.InitialDirContext;
import javax.naming.directory.SearchControls;
import javax.naming.directory.SearchResult;

public class AdProbe {
    static String esc(String s) {
        return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\0", "\\0");
    }

    public static void main(String[] args) throws Exception {
        for (String line : Files.readAllLines(Paths.get(args[0]))) {
            if (line.isBlank()) continue;
            String[] f = line.split("\t", -1);
            System.out.println("CASE " + f[0]);
            Hashtable<String, String> env = new Hashtable<>();
            env.put(Context.INITIAL_CONTEXT_FACTORY, "com.sun.jndi.ldap.LdapCtxFactory");
            env.put(Context.PROVIDER_URL, f[1]);
            env.put("com.sun.jndi.ldap.read.timeout", "10000");
            if (f[2].equals("simple")) {
                env.put(Context.SECURITY_AUTHENTICATION, "simple");
                env.put(Context.SECURITY_PRINCIPAL, f[3]);
                env.put(Context.SECURITY_CREDENTIALS, f[4]);
            }
            try {
                DirContext ctx = new InitialDirContext(env);
                try {
                    if (!f[5].equals("-")) {
                        SearchControls sc = new SearchControls();
                        sc.setSearchScope(f[7].equals("base") ? SearchControls.OBJECT_SCOPE
                                : f[7].equals("one") ? SearchControls.ONELEVEL_SCOPE
                                : SearchControls.SUBTREE_SCOPE);
                        if (!f[8].equals("-")) sc.setReturningAttributes(f[8].split(","));
                        NamingEnumeration<SearchResult> r = ctx.search(f[5], f[6], sc);
                        while (r.hasMore()) {
                            SearchResult s = r.next();
                            System.out.println("ENTRY " + esc(s.getNameInNamespace()));
                            java.util.List<String> lines = new java.util.ArrayList<>();
                            NamingEnumeration<? extends Attribute> as = s.getAttributes().getAll();
                            while (as.hasMore()) {
                                Attribute a = as.next();
                                for (int i = 0; i < a.size(); i++) {
                                    lines.add("ATTR " + a.getID() + ": " + esc(String.valueOf(a.get(i))));
                                }
                            }
                            // JNDI keeps attributes in a hash table: sorted for a stable transcript
                            java.util.Collections.sort(lines);
                            lines.forEach(System.out::println);
                        }
                    }
                    System.out.println("OK");
                } finally {
                    ctx.close();
                }
            } catch (Throwable t) {
                for (Throwable e = t; e != null; e = e.getCause()) {
                    System.out.println("EXC " + esc(e.toString()));
                }
            }
            System.out.println("END");
        }
    }
}
