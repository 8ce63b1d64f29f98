package fwi.cloud.registry;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.util.Base64;

/** Ed25519 keys for the registry tests, made by the JDK. */
final class TestKeys {
  private TestKeys() {
  }

  static KeyPair pair() throws Exception {
    return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
  }

  /** PKCS#8 PEM, laid out as {@code openssl genpkey} writes it. */
  static String pem(PrivateKey k) {
    return "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(k.getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }

  /** Base64 of the raw 32 bytes: the X.509 encoding's tail ({@code openssl pkey -pubout -outform DER | tail -c 32}). */
  static String raw(java.security.PublicKey k) {
    byte[] der = k.getEncoded();
    return Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(der, der.length - 32, der.length));
  }

  /** A signer with one fresh key, active, id {@code keyId}. */
  static ManifestSigner signer(String keyId) throws Exception {
    return new ManifestSigner(SigningKeys.builder().privateKey(keyId, pair().getPrivate()).active(keyId).build());
  }
}
