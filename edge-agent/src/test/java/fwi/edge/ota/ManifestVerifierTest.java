package fwi.edge.ota;

import fwi.edge.testing.TestModels;
import fwi.edge.testing.Manifests;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import fwi.edge.inference.ModelInfo;
import fwi.proto.v1.ManifestBody;
import fwi.proto.v1.OtaReason;
import fwi.proto.v1.SignedManifest;
import fwi.runtime.ort.TensorSpec;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ManifestVerifierTest {
  private static final byte[] FILE = TestModels.plus(1600, -1, 4);
  private final Manifests manifests = new Manifests();
  private final ManifestVerifier verifier = new ManifestVerifier(manifests.trusted(), Manifests.DEVICE,
      Manifests.PROFILE, 17, 8, 1 << 20);

  private static ManifestVerifier.DeviceState activeVersion(long version) {
    return new ManifestVerifier.DeviceState(Optional.of(new ModelInfo("inv", version, "ab".repeat(32))),
        Optional.of(new TensorSpec("gathers", new long[] {-1, 4})), Optional.of(new TensorSpec("v", new long[] {-1, 4})),
        1L << 30);
  }

  private static final ManifestVerifier.DeviceState NOTHING_ACTIVE =
      new ManifestVerifier.DeviceState(Optional.empty(), Optional.empty(), Optional.empty(), 1L << 30);

  private static ManifestBody.Builder body(long version) {
    return Manifests.body(FILE, "inv-v" + version, version);
  }

  private ManifestVerifier.Rejection rejected(byte[] payload, ManifestVerifier.DeviceState device) {
    return assertInstanceOf(ManifestVerifier.Rejection.class, verifier.verify(payload, device));
  }

  private ManifestVerifier.Rejection rejected(ManifestBody.Builder body, ManifestVerifier.DeviceState device) {
    return rejected(manifests.signed(body), device);
  }

  private static void assertRejection(OtaReason reason, String detail, ManifestVerifier.Rejection r) {
    assertEquals(reason, r.reason(), r.detail());
    assertEquals(detail, r.detail());
  }

  @Test
  void acceptsASignedNewerManifestForThisDevice() {
    ManifestBody body = body(2).addTargetDeviceIds(Manifests.DEVICE).build();

    ManifestVerifier.Accepted a = assertInstanceOf(ManifestVerifier.Accepted.class,
        verifier.verify(manifests.signed(body.toBuilder()), activeVersion(1)));

    assertEquals(body, a.body());
    assertEquals(new ModelInfo("inv-v2", 2, DurableFiles.hex(DurableFiles.sha256(FILE))), a.model());
  }

  @Test
  void rejectsAPayloadThatIsNotASignedManifest() {
    ManifestVerifier.Rejection r = rejected(new byte[] {(byte) 0xff, 1, 2}, activeVersion(1));

    assertEquals(OtaReason.OTA_REASON_MANIFEST_MALFORMED, r.reason());
    assertTrue(r.detail().startsWith("payload of 3 bytes is not a SignedManifest: "), r.detail());
    assertEquals(Optional.empty(), r.body());
  }

  @Test
  void looksUpTheKeyBeforeCheckingTheSignature() {
    byte[] payload = SignedManifest.newBuilder().setKeyId("old-key").setBody(body(2).build().toByteString())
        .setSignature(ByteString.copyFrom(new byte[64])).build().toByteArray();

    assertRejection(OtaReason.OTA_REASON_UNKNOWN_KEY_ID, "key id 'old-key' is not among the trusted keys [manifest-test]",
        rejected(payload, activeVersion(1)));
  }

  @Test
  void rejectsASignatureOfTheWrongLength() {
    byte[] payload = SignedManifest.newBuilder().setKeyId(Manifests.KEY_ID).setBody(body(2).build().toByteString())
        .setSignature(ByteString.copyFrom(new byte[10])).build().toByteArray();

    assertRejection(OtaReason.OTA_REASON_SIGNATURE_INVALID, "signature must be 64 bytes (Ed25519), but was 10",
        rejected(payload, activeVersion(1)));
  }

  @Test
  void verifiesTheSignatureOverTheBodyBytesBeforeParsingThem() throws Exception {
    ByteString garbage = ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff, 0x0f});
    byte[] signedGarbage = manifests.signed(garbage, Manifests.KEY_ID);
    byte[] unsignedGarbage = SignedManifest.parseFrom(signedGarbage).toBuilder()
        .setBody(ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff, 0x0e})).build().toByteArray();

    ManifestVerifier.Rejection signed = rejected(signedGarbage, activeVersion(1));
    assertEquals(OtaReason.OTA_REASON_MANIFEST_MALFORMED, signed.reason());
    assertTrue(signed.detail().startsWith("signed body of 3 bytes is not a ManifestBody: "), signed.detail());
    assertRejection(OtaReason.OTA_REASON_SIGNATURE_INVALID,
        "Ed25519 signature by key 'manifest-test' does not verify over the 3 body bytes",
        rejected(unsignedGarbage, activeVersion(1)));
  }

  @Test
  void rejectsABodyWhoseBlockGeometryDoesNotAddUp() {
    assertRejection(OtaReason.OTA_REASON_MANIFEST_MALFORMED,
        "block_count must be ceil(size_bytes 87 / block_size_bytes 16) = 6, but was 5",
        rejected(body(2).setBlockCount(5), activeVersion(1)));
    assertRejection(OtaReason.OTA_REASON_MANIFEST_MALFORMED,
        "block_sha256 must be empty or have block_count = 6 entries, but has 5",
        rejected(body(2).clearBlockSha256().addAllBlockSha256(body(2).getBlockSha256List().subList(0, 5)),
            activeVersion(1)));
    assertRejection(OtaReason.OTA_REASON_MANIFEST_MALFORMED, "block_size_bytes must be at least 1, but was 0",
        rejected(body(2).setBlockSizeBytes(0), activeVersion(1)));
    assertRejection(OtaReason.OTA_REASON_MANIFEST_MALFORMED, "size_bytes must be in [1, 2^63), but was 0",
        rejected(body(2).setSizeBytes(0), activeVersion(1)));
  }

  @Test
  void rejectsABodyWithAnIncompleteDescription() {
    assertRejection(OtaReason.OTA_REASON_MANIFEST_MALFORMED, "sha256 must be 32 bytes, but was 31",
        rejected(body(2).setSha256(ByteString.copyFrom(new byte[31])), activeVersion(1)));
    assertRejection(OtaReason.OTA_REASON_MANIFEST_MALFORMED, "schema_version must be at least 1, but was 0",
        rejected(body(2).setSchemaVersion(0), activeVersion(1)));
    assertRejection(OtaReason.OTA_REASON_MANIFEST_MALFORMED, "version must be in [1, 2^63), but was 0",
        rejected(body(2).setVersion(0), activeVersion(1)));
    assertRejection(OtaReason.OTA_REASON_MANIFEST_MALFORMED,
        "inputs and outputs must describe the graph interface, but the manifest lists 0 inputs and 1 outputs",
        rejected(body(2).clearInputs(), activeVersion(1)));
    assertTrue(rejected(body(2).setModelId("has space"), activeVersion(1)).detail().startsWith("model_id: "));
  }

  @Test
  void checksTheProfileBeforeTheTargetsAndTheVersion() {
    assertRejection(OtaReason.OTA_REASON_PROFILE_MISMATCH, "manifest is for profile 'pi-5', but this device is 'pi-4b'",
        rejected(body(1).setProfileName("pi-5").addTargetDeviceIds("x"), activeVersion(1)));
    assertRejection(OtaReason.OTA_REASON_NOT_TARGETED,
        "device 'pi-0042' is not among the 7 target devices [d0, d1, d2, d3, d4] and 2 more",
        rejected(body(1).addAllTargetDeviceIds(java.util.List.of("d0", "d1", "d2", "d3", "d4", "d5", "d6")),
            activeVersion(1)));
  }

  @Test
  void installsAnyVersionOnADeviceWithoutAModelButNoRollback() {
    assertInstanceOf(ManifestVerifier.Accepted.class, verifier.verify(manifests.signed(body(1)), NOTHING_ACTIVE));
    assertRejection(OtaReason.OTA_REASON_ROLLBACK_NOT_APPLICABLE,
        "rollback to version 1 applies only when 1 < active version <= rollback_from_version 5, but no model is active",
        rejected(body(1).setRollback(true).setRollbackFromVersion(5), NOTHING_ACTIVE));
  }

  @Test
  void appliesASignedRollbackOnlyWithinItsBounds() {
    ManifestBody.Builder rollbackTo2From4 = body(2).setRollback(true).setRollbackFromVersion(4);

    assertInstanceOf(ManifestVerifier.Accepted.class, verifier.verify(manifests.signed(rollbackTo2From4), activeVersion(3)));
    assertInstanceOf(ManifestVerifier.Accepted.class, verifier.verify(manifests.signed(rollbackTo2From4), activeVersion(4)));
    assertRejection(OtaReason.OTA_REASON_ROLLBACK_NOT_APPLICABLE, "rollback to version 2 applies only when 2 < active "
            + "version <= rollback_from_version 4, but the active version is 5 (inv@5)",
        rejected(rollbackTo2From4, activeVersion(5)));
    assertEquals(OtaReason.OTA_REASON_ROLLBACK_NOT_APPLICABLE, rejected(rollbackTo2From4, activeVersion(2)).reason());
    assertRejection(OtaReason.OTA_REASON_VERSION_NOT_NEWER,
        "version 2 must be above the active version, but the active version is 3 (inv@3)",
        rejected(body(2), activeVersion(3)));
  }

  @Test
  void rejectsWhatTheRuntimeOrTheDeviceCannotTake() {
    assertRejection(OtaReason.OTA_REASON_OPSET_UNSUPPORTED, "onnx_ir_version must be at most 8 (the runtime's), but was 9",
        rejected(body(2).setOnnxIrVersion(9), activeVersion(1)));
    assertRejection(OtaReason.OTA_REASON_BLOCK_SIZE_UNSUPPORTED,
        "block_size_bytes must be at most 1048576 on this device, but was 2097152",
        rejected(body(2).setBlockSizeBytes(2 << 20).setBlockCount(1).clearBlockSha256(), activeVersion(1)));
    ManifestVerifier.DeviceState almostFull = new ManifestVerifier.DeviceState(activeVersion(1).active(),
        activeVersion(1).activeInput(), activeVersion(1).activeOutput(), 173);
    assertRejection(OtaReason.OTA_REASON_INSUFFICIENT_DISK, "the download needs 2 x 87 = 174 bytes free, but 173 are usable",
        rejected(body(2), almostFull));
  }

  @Test
  void requiresAnInterfaceTheActiveModelsInputSourcesCanFeed() {
    ManifestBody.Builder rank = body(2).clearInputs();
    rank.addInputsBuilder().setName("x").setElementType("FLOAT").addDims(-1).addDims(1).addDims(4);
    ManifestVerifier.Rejection r = rejected(rank, activeVersion(1));
    assertEquals(OtaReasons.INTERFACE_MISMATCH, r.reasonValue());
    assertEquals("input must be compatible with the active model's input gathers[N, 4] (same rank, equal fixed "
        + "dimensions), but was x[N, 1, 4]", r.detail());

    ManifestBody.Builder output = body(2).clearOutputs();
    output.addOutputsBuilder().setName("y").setElementType("FLOAT").addDims(1).addDims(3);
    assertEquals("output must be compatible with the active model's output v[N, 4] (same rank, equal fixed "
        + "dimensions), but was y[1, 3]", rejected(output, activeVersion(1)).detail());

    ManifestBody.Builder two = body(2);
    two.addInputsBuilder().setName("mask").setElementType("FLOAT").addDims(-1);
    assertEquals("the agent feeds models with exactly one input, but the manifest lists 2: [x, mask]",
        rejected(two, activeVersion(1)).detail());

    ManifestBody.Builder doubles = body(2).clearInputs();
    doubles.addInputsBuilder().setName("x").setElementType("DOUBLE").addDims(-1).addDims(4);
    assertEquals("input 'x' must be FLOAT, but was 'DOUBLE'", rejected(doubles, activeVersion(1)).detail());
  }

  @Test
  void matchesFreeDimensionsAgainstAnyValue() {
    ManifestBody.Builder fixedBatch = body(2).clearInputs();
    fixedBatch.addInputsBuilder().setName("x").setElementType("FLOAT").addDims(1).addDims(4);
    assertInstanceOf(ManifestVerifier.Accepted.class, verifier.verify(manifests.signed(fixedBatch), activeVersion(1)));

    ManifestBody.Builder wrongWidth = body(2).clearInputs();
    wrongWidth.addInputsBuilder().setName("x").setElementType("FLOAT").addDims(-1).addDims(5);
    assertInstanceOf(ManifestVerifier.Accepted.class, verifier.verify(manifests.signed(wrongWidth), NOTHING_ACTIVE),
        "without an active model there is nothing to stay compatible with");
  }
}
