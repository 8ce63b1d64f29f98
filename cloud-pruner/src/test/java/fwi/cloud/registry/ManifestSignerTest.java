package fwi.cloud.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import fwi.proto.v1.ManifestBody;
import fwi.proto.v1.SignedManifest;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ManifestSignerTest {
  /** What a device prepends to the configured 32 raw bytes (fwi.edge.ota.TrustedKeys), written out independently. */
  private static final byte[] DEVICE_X509_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

  private static ManifestBody body() {
    return ManifestBody.newBuilder().setSchemaVersion(1).setModelId("inversionnet-pi-4b-v3").setVersion(3)
        .setProfileName("pi-4b").addTargetDeviceIds("pi-0042").setSizeBytes(1234).build();
  }

  /** The device's way: base64 of the raw key from configuration, X.509 prefix, KeyFactory. */
  private static PublicKey asDeviceConfiguresIt(String base64Raw) throws Exception {
    byte[] raw = Base64.getDecoder().decode(base64Raw);
    byte[] der = new byte[DEVICE_X509_PREFIX.length + raw.length];
    System.arraycopy(DEVICE_X509_PREFIX, 0, der, 0, DEVICE_X509_PREFIX.length);
    System.arraycopy(raw, 0, der, DEVICE_X509_PREFIX.length, raw.length);
    return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
  }

  @Test
  void signatureCoversExactlyTheBodyBytesThatTravel() throws Exception {
    KeyPair pair = TestKeys.pair();
    ManifestSigner signer = new ManifestSigner(SigningKeys.builder().privateKey("manifest-test", pair.getPrivate())
        .active("manifest-test").build());

    SignedManifest m = signer.sign(body());

    assertEquals(body().toByteString(), m.getBody());
    assertEquals(64, m.getSignature().size());
    assertEquals("manifest-test", m.getKeyId());
    assertFalse(m.hasHeader());
    Signature jdk = Signature.getInstance("Ed25519");
    jdk.initVerify(pair.getPublic());
    jdk.update(m.getBody().toByteArray());
    assertTrue(jdk.verify(m.getSignature().toByteArray()));
  }

  @Test
  void verifiesWithThePublicKeyInTheFormDevicesConfigure() throws Exception {
    ManifestSigner signer = TestKeys.signer("manifest-2026a");
    String configured = signer.keys().publicKeysBase64().get("manifest-2026a");

    SignedManifest m = signer.sign(body());
    PublicKey deviceKey = asDeviceConfiguresIt(configured);

    assertEquals(32, Base64.getDecoder().decode(configured).length);
    Signature device = Signature.getInstance("Ed25519");
    device.initVerify(deviceKey);
    device.update(m.getBody().asReadOnlyByteBuffer());
    assertTrue(device.verify(m.getSignature().toByteArray()));
  }

  @Test
  void aChangedBodyByteOrAnotherKeyFailsVerification() throws Exception {
    ManifestSigner signer = TestKeys.signer("k");
    SignedManifest m = signer.sign(body());
    byte[] tampered = m.getBody().toByteArray();
    tampered[tampered.length - 1] ^= 1;

    assertEquals(Optional.of(body()), signer.verify(m));
    assertEquals(Optional.empty(), signer.verify(m.toBuilder().setBody(ByteString.copyFrom(tampered)).build()));
    assertEquals(Optional.empty(), signer.verify(m.toBuilder().setKeyId("other").build()));
    assertFalse(ManifestSigner.verify(m, TestKeys.pair().getPublic()));
  }

  @Test
  void theHeaderIsNotSignedSoAPublisherMaySetIt() throws Exception {
    ManifestSigner signer = TestKeys.signer("k");
    SignedManifest m = signer.sign(body()).toBuilder()
        .setHeader(fwi.proto.v1.Header.newBuilder().setSchemaVersion(1).setSenderId("cloud-pruner-1").setSequence(9))
        .build();

    assertEquals(Optional.of(body()), signer.verify(SignedManifest.parseFrom(m.toByteArray())));
  }

  @Test
  void refusesABodyWithoutSchemaVersion() throws Exception {
    ManifestSigner signer = TestKeys.signer("k");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> signer.sign(body().toBuilder().setSchemaVersion(0).build()));

    assertEquals("manifest body schema_version must be at least 1, but was 0", e.getMessage());
  }
}
