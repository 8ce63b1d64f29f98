package fwi.edge.ota;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TrustedKeysTest {
  @Test
  void readsTheBase64OfARawPublicKeyIntoAKeyThatVerifies() throws Exception {
    KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    String raw = TrustedKeys.toBase64(pair.getPublic());
    assertEquals(32, Base64.getDecoder().decode(raw).length);

    TrustedKeys keys = TrustedKeys.fromBase64(Map.of("manifest-2026a", raw, "manifest-2026b", raw));

    PublicKey key = keys.key("manifest-2026a").orElseThrow();
    assertArrayEquals(pair.getPublic().getEncoded(), key.getEncoded());
    Signature s = Signature.getInstance("Ed25519");
    s.initSign(pair.getPrivate());
    s.update(new byte[] {1, 2, 3});
    byte[] sig = s.sign();
    Signature v = Signature.getInstance("Ed25519");
    v.initVerify(key);
    v.update(new byte[] {1, 2, 3});
    assertTrue(v.verify(sig));
    assertEquals(Set.of("manifest-2026a", "manifest-2026b"), keys.keyIds());
    assertEquals(Optional.empty(), keys.key("manifest-2025"));
  }

  @Test
  void namesTheKeyWhoseTextIsNotBase64() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TrustedKeys.fromBase64(Map.of("k1", "not*base64")));
    assertTrue(e.getMessage().startsWith(
        "fwi.ota.trusted-keys.k1 must be base64 of a raw 32-byte Ed25519 public key, but is not base64: "), e.getMessage());
  }

  @Test
  void namesTheKeyOfTheWrongLength() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TrustedKeys.fromBase64(Map.of("k2", Base64.getEncoder().encodeToString(new byte[31]))));
    assertEquals("fwi.ota.trusted-keys.k2 must be base64 of a raw 32-byte Ed25519 public key, but decodes to 31 bytes",
        e.getMessage());
  }

  @Test
  void refusesAnEmptyKeySetAndABadKeyId() {
    assertEquals("fwi.ota.trusted-keys.* must list at least one key, but was empty",
        assertThrows(IllegalArgumentException.class, () -> TrustedKeys.fromBase64(Map.of())).getMessage());
    assertEquals("trusted key id must match [A-Za-z0-9._-]{1,64}, but was 'bad id'",
        assertThrows(IllegalArgumentException.class,
            () -> TrustedKeys.fromBase64(Map.of("bad id", Base64.getEncoder().encodeToString(new byte[32]))))
            .getMessage());
  }
}
