// The Java 17 client the differential tests run: HttpsURLConnection with the
// default JSSE behaviour (PKIX trust manager, HTTPS endpoint identification),
// as Tomcat in CCE Administration makes its calls. Batch mode: each line of
// the spec file is `ID URL TRUSTSTORE TYPE PASSWORD`; for each, the probe
// prints `CASE ID`, then `OK <status>` or the exception chain (top first,
// `class: message` per line), then `END`. A TRUSTSTORE of `-` uses the
// JVM's default SSL context, configured by -Djavax.net.ssl.trustStore* .
import java.io.FileInputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.KeyStore;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

public class Probe {
    public static void main(String[] args) throws Exception {
        for (String line : Files.readAllLines(Paths.get(args[0]))) {
            if (line.isBlank()) continue;
            String[] f = line.split(" ");
            System.out.println("CASE " + f[0]);
            try {
                if (f[2].equals("-")) {
                    HttpsURLConnection c = (HttpsURLConnection) new URL(f[1]).openConnection();
                    c.setConnectTimeout(10000);
                    c.setReadTimeout(10000);
                    System.out.println("OK " + c.getResponseCode());
                    System.out.println("END");
                    continue;
                }
                KeyStore ks = KeyStore.getInstance(f[3]);
                try (FileInputStream in = new FileInputStream(f[2])) {
                    ks.load(in, f[4].toCharArray());
                }
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(ks);
                SSLContext ctx = SSLContext.getInstance("TLS");
                ctx.init(null, tmf.getTrustManagers(), null);
                HttpsURLConnection c = (HttpsURLConnection) new URL(f[1]).openConnection();
                c.setSSLSocketFactory(ctx.getSocketFactory());
                c.setConnectTimeout(10000);
                c.setReadTimeout(10000);
                System.out.println("OK " + c.getResponseCode());
            } catch (Throwable t) {
                for (Throwable e = t; e != null; e = e.getCause()) {
                    System.out.println(e.toString());
                }
            }
            System.out.println("END");
        }
    }
}
