package fwi.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed EC certificate for {@code localhost} and {@code 127.0.0.1}, made with the JDK's
 * {@code keytool} (no OpenSSL needed), in the forms a TLS broker and its clients want.
 *
 * @param certPem the certificate, PEM (the broker's certfile, and the clients' CA file)
 * @param keyPem the private key, PKCS#8 PEM (the broker's keyfile)
 * @param trustStore a PKCS#12 trust store holding the certificate, password {@link #PASSWORD}
 */
public record TestCertificates(Path certPem, Path keyPem, Path trustStore) {
  public static final String PASSWORD = "changeit";

  /** Creates the files in {@code dir}. */
  public static TestCertificates create(Path dir) throws IOException {
    Path keyStore = dir.resolve("broker.p12");
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "broker", "-keyalg", "EC",
        "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA", "-dname", "CN=localhost",
        "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-keystore", keyStore.toString(),
        "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD)
        .redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("keytool failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running keytool", e);
    }
    try {
      KeyStore ks = KeyStore.getInstance(keyStore.toFile(), PASSWORD.toCharArray());
      java.security.cert.Certificate cert = ks.getCertificate("broker");
      Key key = ks.getKey("broker", PASSWORD.toCharArray());
      Path certPem = dir.resolve("broker.crt");
      Path keyPem = dir.resolve("broker.key");
      Files.writeString(certPem, pem("CERTIFICATE", cert.getEncoded()));
      Files.writeString(keyPem, pem("PRIVATE KEY", key.getEncoded()));
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("broker", cert);
      Path trustStore = dir.resolve("trust.p12");
      try (var out = Files.newOutputStream(trustStore)) {
        trust.store(out, PASSWORD.toCharArray());
      }
      return new TestCertificates(certPem, keyPem, trustStore);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot read the keytool output " + keyStore, e);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
