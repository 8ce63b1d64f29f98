package fwi.cloud.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import fwi.proto.v1.ManifestBody;
import fwi.proto.v1.SignedManifest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SigningKeysTest {
  private static final Path OPENSSL = Path.of("/usr/bin/openssl");

  @TempDir
  Path dir;

  private static ManifestBody body() {
    return ManifestBody.newBuilder().setSchemaVersion(1).setModelId("inversionnet-pi-4b-v1").setVersion(1)
        .setProfileName("pi-4b").build();
  }

  private static String run(Path dir, String... command) throws Exception {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "openssl did not finish");
    assertEquals(0, p.exitValue(), () -> String.join(" ", command) + ": " + new String(out, StandardCharsets.UTF_8));
    return new String(out, StandardCharsets.UTF_8);
  }

  @Test
  void loadsAPkcs8PemFileAndPublishesTheRawPublicKeyDevicesConfigure() throws Exception {
    KeyPair pair = TestKeys.pair();
    Path pem = Files.writeString(dir.resolve("k.pem"), TestKeys.pem(pair.getPrivate()));

    SigningKeys keys = SigningKeys.builder().pemFile("manifest-2026a", pem).active("manifest-2026a").build();

    byte[] der = pair.getPublic().getEncoded();
    String raw = Base64.getEncoder().encodeToString(Arrays.copyOfRange(der, der.length - 32, der.length));
    assertEquals(Map.of("manifest-2026a", raw), keys.publicKeysBase64());
    assertEquals("manifest-2026a", keys.activeKeyId());
  }

  @Test
  void loadsBase64Pkcs8AndPemTextAlike() throws Exception {
    KeyPair pair = TestKeys.pair();

    SigningKeys fromBase64 = SigningKeys.builder()
        .pkcs8Base64("a", Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded())).active("a").build();
    SigningKeys fromPem = SigningKeys.builder().pem("a", TestKeys.pem(pair.getPrivate())).active("a").build();

    assertEquals(fromBase64.publicKeysBase64(), fromPem.publicKeysBase64());
  }

  @Test
  void loadsAKeyMadeByOpensslAndSignsWhatOpensslVerifies() throws Exception {
    assumeTrue(Files.isExecutable(OPENSSL), "openssl is not installed at " + OPENSSL);
    run(dir, OPENSSL.toString(), "genpkey", "-algorithm", "ed25519", "-out", "dev.pem");
    run(dir, OPENSSL.toString(), "pkey", "-in", "dev.pem", "-pubout", "-out", "pub.pem");
    run(dir, OPENSSL.toString(), "pkey", "-in", "dev.pem", "-pubout", "-outform", "DER", "-out", "pub.der");
    byte[] der = Files.readAllBytes(dir.resolve("pub.der"));
    String opensslRaw = Base64.getEncoder().encodeToString(Arrays.copyOfRange(der, der.length - 32, der.length));

    SigningKeys keys = SigningKeys.builder().pemFile("manifest-dev", dir.resolve("dev.pem")).active("manifest-dev")
        .build();
    SignedManifest signed = new ManifestSigner(keys).sign(body());
    Files.write(dir.resolve("body.bin"), signed.getBody().toByteArray());
    Files.write(dir.resolve("sig.bin"), signed.getSignature().toByteArray());

    assertEquals(opensslRaw, keys.publicKeysBase64().get("manifest-dev"));
    String verdict = run(dir, OPENSSL.toString(), "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin",
        "-in", "body.bin", "-sigfile", "sig.bin");
    assertTrue(verdict.contains("Signature Verified Successfully"), verdict);
  }

  @Test
  void rotatesTheActiveKeyAndKeepsPublishingTheOldOnes() throws Exception {
    KeyPair old = TestKeys.pair();
    KeyPair next = TestKeys.pair();
    KeyPair retired = TestKeys.pair();
    String retiredRaw = TestKeys.raw(retired.getPublic());

    SigningKeys before = SigningKeys.builder()
        .privateKey("manifest-2025b", old.getPrivate())
        .privateKey("manifest-2026a", next.getPrivate())
        .publicOnly("manifest-2024", retiredRaw)
        .active("manifest-2025b").build();
    SigningKeys after = before.withActive("manifest-2026a");

    assertEquals("manifest-2025b", new ManifestSigner(before).sign(body()).getKeyId());
    SignedManifest signedAfter = new ManifestSigner(after).sign(body());
    assertEquals("manifest-2026a", signedAfter.getKeyId());
    assertTrue(ManifestSigner.verify(signedAfter, next.getPublic()));
    assertFalse(ManifestSigner.verify(signedAfter, old.getPublic()));
    assertEquals(Set.of("manifest-2024", "manifest-2025b", "manifest-2026a"), after.publicKeysBase64().keySet());
    assertEquals(List.of("manifest-2024", "manifest-2025b", "manifest-2026a"), List.copyOf(after.keyIds()));
    assertEquals(retiredRaw, after.publicKeysBase64().get("manifest-2024"));
  }

  @Test
  void refusesToActivateAPublicOnlyKey() throws Exception {
    KeyPair k = TestKeys.pair();
    KeyPair p = TestKeys.pair();
    String raw = TestKeys.raw(p.getPublic());
    SigningKeys keys = SigningKeys.builder().privateKey("a", k.getPrivate()).publicOnly("b", raw).active("a").build();

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> keys.withActive("b"));

    assertEquals("active signing key id must name a key with its private half [a], but was 'b' (it is public-only here)",
        e.getMessage());
  }

  @Test
  void refusesAnActiveKeyIdThatIsNotConfigured() throws Exception {
    SigningKeys.Builder b = SigningKeys.builder().privateKey("a", TestKeys.pair().getPrivate()).active("z");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);

    assertEquals("active signing key id must name a key with its private half [a], but was 'z' (it is not configured)",
        e.getMessage());
  }

  @Test
  void refusesAnEncryptedPemWithAdviceAndWithoutKeyBytes() throws Exception {
    String body = "MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAiabc";
    Path pem = Files.writeString(dir.resolve("enc.pem"),
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\n" + body + "\n-----END ENCRYPTED PRIVATE KEY-----\n");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SigningKeys.builder().pemFile("k", pem));

    assertEquals("signing key 'k' file " + pem + " holds an encrypted private key; store it unencrypted "
        + "(openssl pkey -in encrypted.pem -out key.pem) and protect the file by its permissions", e.getMessage());
  }

  @Test
  void refusesANonEd25519KeyNamingItsAlgorithm() throws Exception {
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("Ed448");
    String pem = TestKeys.pem(g.generateKeyPair().getPrivate());

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SigningKeys.builder().pem("k", pem));

    assertTrue(e.getMessage().startsWith("signing key 'k' (PEM) must hold a PKCS#8 Ed25519 private key, but does not"),
        e.getMessage());
  }

  @Test
  void refusesAPublicKeyPemWhereAPrivateKeyBelongs() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SigningKeys.builder()
        .pem("k", "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n"));

    assertEquals("signing key 'k' (PEM) must hold a PKCS#8 'PRIVATE KEY' PEM block (openssl genpkey -algorithm "
        + "ed25519), but holds 'PUBLIC KEY'", e.getMessage());
  }

  @Test
  void refusesAnInvalidOrRepeatedKeyId() throws Exception {
    KeyPair k = TestKeys.pair();

    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> SigningKeys.builder().privateKey("no spaces", k.getPrivate()));
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
        () -> SigningKeys.builder().privateKey("a", k.getPrivate()).privateKey("a", TestKeys.pair().getPrivate()));

    assertEquals("signing key id must match [A-Za-z0-9._-]{1,64}, but was 'no spaces'", bad.getMessage());
    assertEquals("signing key 'a': key id 'a' must be configured once, but is repeated", twice.getMessage());
  }

  @Test
  void refusesTheSameKeyUnderTwoIds() throws Exception {
    KeyPair k = TestKeys.pair();
    SigningKeys.Builder b = SigningKeys.builder().privateKey("a", k.getPrivate()).privateKey("b", k.getPrivate())
        .active("a");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);

    assertEquals("key ids 'a' and 'b' must name different keys, but both hold the same key", e.getMessage());
  }

  @Test
  void neverShowsKeyMaterialInToStringOrMessages() throws Exception {
    KeyPair k = TestKeys.pair();
    String pkcs8 = Base64.getEncoder().encodeToString(k.getPrivate().getEncoded());
    SigningKeys keys = SigningKeys.builder().pkcs8Base64("a", pkcs8).active("a").build();
    String truncated = pkcs8.substring(0, 20);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SigningKeys.builder().pkcs8Base64("b", truncated));

    assertEquals("SigningKeys[active=a, signing=[a], publicOnly=[]]", keys.toString());
    assertFalse(e.getMessage().contains(truncated), e.getMessage());
    assertFalse(new ManifestSigner(keys).toString().contains(pkcs8.substring(16, 40)));
  }

  @Test
  void signsTheSameBodyToTheSameBytes() throws Exception {
    ManifestSigner signer = TestKeys.signer("k");

    assertEquals(signer.sign(body()), signer.sign(body()));
    assertEquals(ByteString.copyFrom(body().toByteArray()), signer.sign(body()).getBody());
  }
}
