package fwi.edge.ota;

import fwi.edge.testing.TestModels;
import fwi.edge.testing.Manifests;
import static fwi.proto.v1.OtaState.OTA_STATE_ACTIVE;
import static fwi.proto.v1.OtaState.OTA_STATE_DOWNLOADING;
import static fwi.proto.v1.OtaState.OTA_STATE_FAILED;
import static fwi.proto.v1.OtaState.OTA_STATE_INSTALLING;
import static fwi.proto.v1.OtaState.OTA_STATE_MANIFEST_RECEIVED;
import static fwi.proto.v1.OtaState.OTA_STATE_REJECTED;
import static fwi.proto.v1.OtaState.OTA_STATE_ROLLED_BACK;
import static fwi.proto.v1.OtaState.OTA_STATE_SMOKE_TESTING;
import static fwi.proto.v1.OtaState.OTA_STATE_VERIFYING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import fwi.edge.inference.ModelInfo;
import fwi.proto.v1.BlockErrorCode;
import fwi.proto.v1.ManifestBody;
import fwi.proto.v1.OtaReason;
import fwi.proto.v1.OtaState;
import fwi.proto.v1.OtaStatus;
import fwi.proto.v1.SignedManifest;
import fwi.runtime.ort.RunnerOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class OtaClientTest {
  private static final String PROFILE_TOPIC = "fwi/v1/profile/pi-4b/manifest";
  private static final String DEVICE_TOPIC = "fwi/v1/dev/pi-0042/manifest";
  private static final byte[] V1 = TestModels.plus(1500, -1, 4);
  private static final byte[] V2 = TestModels.plus(1600, -1, 4);
  private static final byte[] V3 = TestModels.plus(1700, -1, 4);
  private static final byte[] V4 = TestModels.plus(1800, -1, 4);

  @TempDir
  Path tmp;
  private final Manifests manifests = new Manifests();
  private final MutableClock clock = new MutableClock();
  private final FakeCloud cloud = new FakeCloud();
  private ModelStore store;
  private SlotHost host;
  private OtaClient client;
  private ModelInfo v1;

  @BeforeEach
  void bootstrapVersionOne() throws Exception {
    Path shipped = tmp.resolve("shipped.onnx");
    Files.write(shipped, V1);
    store = ModelStore.open(tmp.resolve("store"), 2);
    v1 = store.importBootstrap(shipped, "inv-v1", 1);
    host = SlotHost.serving(store);
    client = start(settings().build());
  }

  @AfterEach
  void stop() {
    client.close();
    host.close();
  }

  private static OtaSettings.Builder settings() {
    return OtaSettings.builder().smokeRuns(1).maxRetries(2).blockTimeoutMs(1_000).healthWindowInferences(10);
  }

  private OtaClient start(OtaSettings s) {
    OtaClient c = new OtaClient(s, Manifests.DEVICE, Manifests.PROFILE, manifests.trusted(), new RunnerOptions(1), store,
        host, cloud, clock);
    cloud.client = c;
    return c;
  }

  /** Simulates an agent restart over the same directory: new store, new client, same host and cloud. */
  private void restart(OtaSettings s) throws Exception {
    client.close();
    store = ModelStore.open(tmp.resolve("store"), s.keepPrevious());
    client = start(s);
  }

  private static ModelInfo info(byte[] file, long version) {
    return new ModelInfo("inv-v" + version, version, DurableFiles.hex(DurableFiles.sha256(file)));
  }

  private byte[] manifest(byte[] file, long version) {
    return manifests.signed(Manifests.body(file, "inv-v" + version, version));
  }

  private OtaStatus send(byte[] manifest) throws InterruptedException {
    client.onManifest(PROFILE_TOPIC, manifest);
    return cloud.awaitEnd();
  }

  private OtaStatus install(byte[] file, long version) throws InterruptedException {
    cloud.publish(file);
    OtaStatus end = send(manifest(file, version));
    assertEquals(OTA_STATE_ACTIVE, end.getState(), end.getDetail());
    return end;
  }

  /** Runs everything queued now and everything that work queued in turn (block answers). */
  private void settle() throws Exception {
    for (int i = 0; i < 3; i++) {
      client.sync().get(30, TimeUnit.SECONDS);
    }
  }

  private void assertEnded(OtaStatus s, OtaState state, int reason, String detail) {
    assertEquals(state, s.getState(), s.getDetail());
    assertEquals(reason, s.getReasonValue(), s.getDetail());
    assertEquals(detail, s.getDetail());
  }

  private void assertServing(ModelInfo model, float output) throws Exception {
    assertEquals(Optional.of(model), host.active());
    assertEquals(Optional.of(model), store.active());
    assertEquals(output, host.firstOutputOnZeros());
  }

  private Set<String> downloadFiles() throws Exception {
    try (Stream<Path> s = Files.list(store.downloadsDirectory())) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }
  }

  private int blockCount(byte[] file) {
    return (file.length + Manifests.BLOCK - 1) / Manifests.BLOCK;
  }

  // ---- the normal path ----

  @Test
  void installsANewModelThatPassesEveryCheckAndKeepsThePreviousFile() throws Exception {
    OtaStatus end = install(V2, 2);

    assertEquals(List.of(OTA_STATE_MANIFEST_RECEIVED, OTA_STATE_DOWNLOADING, OTA_STATE_VERIFYING, OTA_STATE_INSTALLING,
        OTA_STATE_SMOKE_TESTING, OTA_STATE_ACTIVE), cloud.states());
    ModelInfo v2 = info(V2, 2);
    assertEquals(OtaClient.ref(v1), end.getFromModel());
    assertEquals(OtaClient.ref(v2), end.getToModel());
    assertEquals(V2.length, end.getReceivedBytes());
    assertEquals(V2.length, end.getTotalBytes());
    assertEquals(1, end.getAttemptCount());
    assertFalse(end.getRollback());
    assertEquals(0, end.getReasonValue());
    assertEquals(clock.millis(), end.getStateEnteredUnixMs());
    assertServing(v2, 1600f);
    assertEquals(List.of(v1), store.history());
    assertTrue(Files.isRegularFile(store.file(v1)), "previous model file kept for rollback");
    assertEquals(Set.of(), downloadFiles());
    assertEquals(IntStream.range(0, blockCount(V2)).boxed().toList(),
        cloud.requestedBlocks().stream().sorted().toList());
    assertEquals(Optional.of(end), client.lastStatus().map(s -> s.toBuilder().setHeader(end.getHeader()).build()));
  }

  @Test
  void keepsAtMostMaxInFlightRequestsOutstanding() throws Exception {
    cloud.publish(V2);
    cloud.drop = r -> true;
    client.onManifest(PROFILE_TOPIC, manifest(V2, 2));
    settle();
    assertEquals(List.of(0, 1, 2, 3), cloud.requestedBlocks());
  }

  // ---- refusals: the old model keeps serving ----

  @Test
  void rejectsAManifestWhoseSignatureDoesNotVerify() throws Exception {
    SignedManifest genuine = SignedManifest.parseFrom(manifest(V2, 2));
    ByteString tampered = Manifests.body(V2, "inv-v2", 3).build().toByteString();
    byte[] payload = genuine.toBuilder().setBody(tampered).build().toByteArray();

    assertEnded(send(payload), OTA_STATE_REJECTED, OtaReason.OTA_REASON_SIGNATURE_INVALID_VALUE,
        "Ed25519 signature by key 'manifest-test' does not verify over the " + tampered.size() + " body bytes");
    assertServing(v1, 1500f);
    assertEquals(List.of(), cloud.requests);
    assertFalse(cloud.statuses.get(1).hasToModel(), "an unverified body is not reported");
  }

  @Test
  void rejectsAnUnsignedManifest() throws Exception {
    byte[] unsigned = SignedManifest.newBuilder().setKeyId(Manifests.KEY_ID)
        .setBody(Manifests.body(V2, "inv-v2", 2).build().toByteString()).build().toByteArray();

    assertEnded(send(unsigned), OTA_STATE_REJECTED, OtaReason.OTA_REASON_SIGNATURE_INVALID_VALUE,
        "signature must be 64 bytes (Ed25519), but was 0");
    assertServing(v1, 1500f);
    assertEquals(List.of(), cloud.requests);
  }

  @Test
  void rejectsAManifestSignedByAnotherKeyUnderATrustedKeyId() throws Exception {
    Manifests impostor = new Manifests(); // a fresh key pair that claims the fleet's key id
    ByteString body = Manifests.body(V2, "inv-v2", 2).build().toByteString();

    assertEnded(send(impostor.signed(body, Manifests.KEY_ID)), OTA_STATE_REJECTED,
        OtaReason.OTA_REASON_SIGNATURE_INVALID_VALUE,
        "Ed25519 signature by key 'manifest-test' does not verify over the " + body.size() + " body bytes");
    assertServing(v1, 1500f);
    assertEquals(List.of(), cloud.requests);
  }

  @Test
  void refusesAReplayedOlderManifestAfterAnUpdateAndAfterARestart() throws Exception {
    byte[] genuineV2 = manifest(V2, 2);
    cloud.publish(V2);
    assertEquals(OTA_STATE_ACTIVE, send(genuineV2).getState());
    install(V3, 3);
    String notNewer = "version 2 must be above the active version, but the active version is 3 (inv-v3@3)";

    assertEnded(send(genuineV2), OTA_STATE_REJECTED, OtaReason.OTA_REASON_VERSION_NOT_NEWER_VALUE, notNewer);
    assertServing(info(V3, 3), 1700f);

    restart(settings().build());
    assertEnded(send(genuineV2), OTA_STATE_REJECTED, OtaReason.OTA_REASON_VERSION_NOT_NEWER_VALUE, notNewer);
    assertServing(info(V3, 3), 1700f);
  }

  @Test
  void rejectsAManifestSignedWithAnUnknownKey() throws Exception {
    byte[] payload = manifests.signed(Manifests.body(V2, "inv-v2", 2).build().toByteString(), "manifest-2031z");

    assertEnded(send(payload), OTA_STATE_REJECTED, OtaReason.OTA_REASON_UNKNOWN_KEY_ID_VALUE,
        "key id 'manifest-2031z' is not among the trusted keys [manifest-test]");
    assertServing(v1, 1500f);
  }

  @Test
  void rejectsAManifestForAnotherProfile() throws Exception {
    OtaStatus end = send(manifests.signed(Manifests.body(V2, "inv-v2", 2).setProfileName("pi-5")));

    assertEnded(end, OTA_STATE_REJECTED, OtaReason.OTA_REASON_PROFILE_MISMATCH_VALUE,
        "manifest is for profile 'pi-5', but this device is 'pi-4b'");
    assertEquals(OtaClient.ref(info(V2, 2)), end.getToModel());
    assertServing(v1, 1500f);
  }

  @Test
  void rejectsAManifestThatDoesNotTargetThisDevice() throws Exception {
    OtaStatus end = send(manifests.signed(Manifests.body(V2, "inv-v2", 2).addTargetDeviceIds("pi-0001")));

    assertEnded(end, OTA_STATE_REJECTED, OtaReason.OTA_REASON_NOT_TARGETED_VALUE,
        "device 'pi-0042' is not among the 1 target devices [pi-0001]");
    assertServing(v1, 1500f);
  }

  @Test
  void rejectsAManifestThatIsNotNewerThanTheActiveModel() throws Exception {
    assertEnded(send(manifests.signed(Manifests.body(V2, "inv-v2", 1))), OTA_STATE_REJECTED,
        OtaReason.OTA_REASON_VERSION_NOT_NEWER_VALUE,
        "version 1 must be above the active version, but the active version is 1 (inv-v1@1)");
    assertServing(v1, 1500f);
  }

  @Test
  void rejectsAReplayedRollbackOnceTheDeviceMovedPastItsBound() throws Exception {
    install(V2, 2);
    byte[] rollbackToV1 = manifests.signed(Manifests.body(V1, "inv-v1", 1).setRollback(true).setRollbackFromVersion(2));
    install(V3, 3);

    OtaStatus end = send(rollbackToV1);

    assertEnded(end, OTA_STATE_REJECTED, OtaReason.OTA_REASON_ROLLBACK_NOT_APPLICABLE_VALUE,
        "rollback to version 1 applies only when 1 < active version <= rollback_from_version 2, but the active "
            + "version is 3 (inv-v3@3)");
    assertTrue(end.getRollback());
    assertServing(info(V3, 3), 1700f);
  }

  @Test
  void rejectsAModelThatNeedsAHigherOpsetThanTheRuntime() throws Exception {
    assertEnded(send(manifests.signed(Manifests.body(V2, "inv-v2", 2).setOnnxOpset(18))), OTA_STATE_REJECTED,
        OtaReason.OTA_REASON_OPSET_UNSUPPORTED_VALUE, "onnx_opset must be at most 17 (the runtime's), but was 18");
    assertServing(v1, 1500f);
  }

  @Test
  void rejectsAModelWhoseInputDoesNotFitTheActiveModelsInput() throws Exception {
    ManifestBody.Builder body = Manifests.body(V2, "inv-v2", 2).clearInputs();
    body.addInputsBuilder().setName("x").setElementType("FLOAT").addDims(-1).addDims(5);

    assertEnded(send(manifests.signed(body)), OTA_STATE_REJECTED, OtaReasons.INTERFACE_MISMATCH,
        "input must be compatible with the active model's input x[N, 4] (same rank, equal fixed dimensions), "
            + "but was x[N, 5]");
    assertServing(v1, 1500f);
    assertEquals(List.of(), cloud.requests);
  }

  @Test
  void failsWhenTheWholeFileDoesNotMatchTheSignedSha256() throws Exception {
    byte[] served = V2.clone();
    served[served.length - 1] ^= 1;
    cloud.publishAs(ByteString.copyFrom(DurableFiles.sha256(V2)), served);

    OtaStatus end = send(manifests.signed(Manifests.body(V2, "inv-v2", 2).clearBlockSha256()));

    assertEnded(end, OTA_STATE_FAILED, OtaReason.OTA_REASON_SHA256_MISMATCH_VALUE, "model file sha256 must be "
        + info(V2, 2).sha256Hex() + ", but was " + DurableFiles.hex(DurableFiles.sha256(served)));
    assertEquals(OTA_STATE_VERIFYING, cloud.statuses.get(cloud.statuses.size() - 2).getState());
    assertServing(v1, 1500f);
    assertEquals(Set.of(), downloadFiles());
  }

  @Test
  void discardsACorruptBlockAndInstallsWhenAGoodCopyArrives() throws Exception {
    cloud.publish(V2);
    cloud.corrupt(2, 2);

    OtaStatus end = send(manifest(V2, 2));

    assertEquals(OTA_STATE_ACTIVE, end.getState(), end.getDetail());
    assertEquals(3, cloud.requestedBlocks().stream().filter(b -> b == 2).count());
    assertServing(info(V2, 2), 1600f);
  }

  @Test
  void failsAfterTooManyCorruptCopiesOfOneBlock() throws Exception {
    cloud.publish(V2);
    cloud.corrupt(2, 3);
    byte[] good = Arrays.copyOfRange(V2, 32, 48);
    byte[] bad = good.clone();
    bad[0] ^= 0x5a;

    assertEnded(send(manifest(V2, 2)), OTA_STATE_FAILED, OtaReason.OTA_REASON_BLOCK_SHA256_MISMATCH_VALUE,
        "3 bad copies of block 2; last: block 2: sha256 must be " + DurableFiles.hex(DurableFiles.sha256(good))
            + " (manifest), but was " + DurableFiles.hex(DurableFiles.sha256(bad)));
    assertServing(v1, 1500f);
    assertEquals(Set.of(), downloadFiles());
  }

  @Test
  void failsWhenTheServedArtifactEndsBeforeTheSizeTheManifestSigned() throws Exception {
    byte[] signed = Arrays.copyOf(V2, V2.length + 3 * Manifests.BLOCK);
    cloud.publishAs(ByteString.copyFrom(DurableFiles.sha256(signed)), V2);

    OtaStatus end = send(manifests.signed(Manifests.body(signed, "inv-v2", 2)));

    assertEquals(OTA_STATE_FAILED, end.getState());
    assertEquals(OtaReason.OTA_REASON_BLOCK_UNAVAILABLE_VALUE, end.getReasonValue());
    assertTrue(end.getDetail().startsWith("server answered BLOCK_ERROR_CODE_OUT_OF_RANGE for block 6 (offset 96): "),
        end.getDetail());
    assertServing(v1, 1500f);
  }

  @Test
  void failsWhenTheLastServedBlockIsShorterThanSigned() throws Exception {
    byte[] signed = Arrays.copyOf(V2, V2.length + 1);
    cloud.publishAs(ByteString.copyFrom(DurableFiles.sha256(signed)), V2);
    int last = blockCount(signed) - 1;
    int length = signed.length - last * Manifests.BLOCK;

    assertEnded(send(manifests.signed(Manifests.body(signed, "inv-v2", 2))), OTA_STATE_FAILED,
        OtaReason.OTA_REASON_BLOCK_SHA256_MISMATCH_VALUE, "3 bad copies of block " + last + "; last: block " + last
            + ": data must be " + length + " bytes, but was " + (length - 1));
    assertServing(v1, 1500f);
  }

  @Test
  void failsWhenTheCloudRefusesTheModel() throws Exception {
    cloud.publish(V2);
    cloud.refuse(1, BlockErrorCode.BLOCK_ERROR_CODE_NOT_ALLOWED, 0);

    assertEnded(send(manifest(V2, 2)), OTA_STATE_FAILED, OtaReason.OTA_REASON_BLOCK_UNAVAILABLE_VALUE,
        "server answered BLOCK_ERROR_CODE_NOT_ALLOWED for block 1 (offset 16): 'test refuses block 1'");
    assertServing(v1, 1500f);
  }

  @Test
  void rollsBackAModelWhoseSmokeTestOutputsNaN() throws Exception {
    byte[] log = TestModels.unary("Log", -1, 4);
    cloud.publish(log);

    OtaStatus end = send(manifests.signed(Manifests.body(log, "inv-v2", 2)));

    assertEquals(OTA_STATE_ROLLED_BACK, end.getState());
    assertEquals(OtaReason.OTA_REASON_SMOKE_TEST_OUTPUT_INVALID_VALUE, end.getReasonValue());
    assertTrue(end.getDetail().matches("output value at index \\d of \\[1, 4\\] must be finite, but was NaN"),
        end.getDetail());
    assertEquals(OTA_STATE_SMOKE_TESTING, cloud.statuses.get(cloud.statuses.size() - 2).getState());
    assertServing(v1, 1500f);
    assertEquals(List.of(info(log, 2)), store.rolledBack());
    assertFalse(Files.exists(store.file(info(log, 2))), "a failed candidate's file is deleted");
    assertEquals(List.of(), host.activations);
  }

  @Test
  void rollsBackAModelWhoseFileHasAnotherShapeThanItsManifestDeclares() throws Exception {
    byte[] wide = TestModels.plus(1600, -1, 5);
    cloud.publish(wide);

    OtaStatus end = send(manifests.signed(Manifests.body(wide, "inv-v2", 2)));

    assertEnded(end, OTA_STATE_ROLLED_BACK, OtaReason.OTA_REASON_SMOKE_TEST_SHAPE_MISMATCH_VALUE,
        "model input must be x[N, 4] as the manifest declares, but was x[N, 5]");
    assertServing(v1, 1500f);
  }

  @Test
  void rollsBackAModelThatOnnxRuntimeCannotLoad() throws Exception {
    byte[] broken = TestModels.unary("FwiNoSuchOp", -1, 4);
    cloud.publish(broken);

    OtaStatus end = send(manifests.signed(Manifests.body(broken, "inv-v2", 2)));

    assertEquals(OTA_STATE_ROLLED_BACK, end.getState());
    assertEquals(OtaReason.OTA_REASON_MODEL_LOAD_FAILED_VALUE, end.getReasonValue());
    assertTrue(end.getDetail().startsWith("inv-v2@2: ONNX Runtime refused the model: "), end.getDetail());
    assertTrue(end.getDetail().contains("FwiNoSuchOp"), end.getDetail());
    assertEquals(OTA_STATE_INSTALLING, cloud.statuses.get(cloud.statuses.size() - 2).getState());
    assertServing(v1, 1500f);
  }

  @Test
  void rollsBackAModelSlowerThanTheSmokeTestBudget() throws Exception {
    // 4 M values in and out: far above a 1 ms budget on any machine. The active model has the same interface.
    byte[] bigV1 = TestModels.plus(1500, -1, 2000, 2000);
    byte[] bigV2 = TestModels.plus(1600, -1, 2000, 2000);
    Path shipped = tmp.resolve("big.onnx");
    Files.write(shipped, bigV1);
    client.close();
    host.close();
    store = ModelStore.open(tmp.resolve("big-store"), 2);
    ModelInfo big1 = store.importBootstrap(shipped, "inv-v1", 1);
    host = SlotHost.serving(store);
    client = start(settings().smokeLatencyBudgetMs(1).build());
    cloud.publish(bigV2);
    ManifestBody.Builder body = Manifests.body(bigV2, "inv-v2", 2).clearInputs().clearOutputs();
    body.addInputsBuilder().setName("x").setElementType("FLOAT").addDims(-1).addDims(2000).addDims(2000);
    body.addOutputsBuilder().setName("y").setElementType("FLOAT").addDims(-1).addDims(2000).addDims(2000);

    OtaStatus end = send(manifests.signed(body));

    assertEquals(OTA_STATE_ROLLED_BACK, end.getState(), end.getDetail());
    assertEquals(OtaReason.OTA_REASON_SMOKE_TEST_LATENCY_EXCEEDED_VALUE, end.getReasonValue());
    assertTrue(end.getDetail().matches("median latency of 1 runs on input \\[1, 2000, 2000\\] must be at most "
        + "1\\.000 ms, but was [0-9.]+ ms"), end.getDetail());
    assertEquals(Optional.of(big1), host.active());
    assertEquals(Optional.of(big1), store.active());
  }

  @Test
  void aModelRolledBackOnThisDeviceIsNotInstalledAgainAfterARestart() throws Exception {
    byte[] log = TestModels.unary("Log", -1, 4);
    cloud.publish(log);
    byte[] payload = manifests.signed(Manifests.body(log, "inv-v2", 2));
    assertEquals(OTA_STATE_ROLLED_BACK, send(payload).getState());
    int statuses = cloud.statuses.size();
    client.onManifest(PROFILE_TOPIC, payload);
    settle();
    assertEquals(statuses, cloud.statuses.size(), "the same run ignores a redelivered manifest it handled");

    restart(settings().build());
    OtaStatus end = send(payload);

    assertEnded(end, OTA_STATE_REJECTED, OtaReasons.MODEL_ROLLED_BACK, "model inv-v2@2 (sha256 "
        + info(log, 2).sha256Hex() + ") was rolled back on this device and is not installed again; publish a new "
        + "build or a signed rollback");
    assertServing(v1, 1500f);
  }

  // ---- retained manifests, superseding, resuming ----

  @Test
  void ignoresTheSameRetainedManifestWhileDownloadingAndOnceActive() throws Exception {
    cloud.publish(V2);
    byte[] payload = manifest(V2, 2);
    AtomicInteger answered = new AtomicInteger();
    cloud.drop = r -> answered.incrementAndGet() > 2;
    client.onManifest(PROFILE_TOPIC, payload);
    settle();
    client.onManifest(DEVICE_TOPIC, payload);
    client.onManifest(PROFILE_TOPIC, payload);
    settle();
    assertEquals(List.of(OTA_STATE_MANIFEST_RECEIVED, OTA_STATE_DOWNLOADING), cloud.states());

    cloud.drop = r -> false;
    clock.advanceMs(1_000);
    client.tick();
    assertEquals(OTA_STATE_ACTIVE, cloud.awaitEnd().getState());
    int statuses = cloud.statuses.size();
    int requests = cloud.requests.size();
    client.onManifest(PROFILE_TOPIC, payload);
    client.onManifest(DEVICE_TOPIC, payload);
    settle();
    restart(settings().build());
    client.onManifest(PROFILE_TOPIC, payload);
    settle();

    assertEquals(statuses, cloud.statuses.size(), "statuses after ACTIVE: " + cloud.states());
    assertEquals(requests, cloud.requests.size());
    assertServing(info(V2, 2), 1600f);
  }

  @Test
  void aNewerManifestSupersedesARunningDownload() throws Exception {
    cloud.publish(V2);
    cloud.publish(V3);
    ByteString v2Sha = ByteString.copyFrom(DurableFiles.sha256(V2));
    cloud.drop = r -> r.getModelSha256().equals(v2Sha);
    client.onManifest(PROFILE_TOPIC, manifest(V2, 2));
    cloud.await(OTA_STATE_DOWNLOADING);

    client.onManifest(DEVICE_TOPIC, manifest(V3, 3));

    OtaStatus superseded = cloud.awaitEnd();
    assertEnded(superseded, OTA_STATE_FAILED, OtaReason.OTA_REASON_SUPERSEDED_VALUE, "superseded by inv-v3@3");
    assertEquals(OtaClient.ref(info(V2, 2)), superseded.getToModel());
    OtaStatus end = cloud.awaitEnd();
    assertEquals(OTA_STATE_ACTIVE, end.getState(), end.getDetail());
    assertEquals(OtaClient.ref(info(V3, 3)), end.getToModel());
    assertServing(info(V3, 3), 1700f);
    assertEquals(Set.of(), downloadFiles());
  }

  @Test
  void anOlderManifestDoesNotInterruptARunningDownload() throws Exception {
    cloud.publish(V2);
    cloud.publish(V3);
    ByteString v3Sha = ByteString.copyFrom(DurableFiles.sha256(V3));
    cloud.drop = r -> r.getModelSha256().equals(v3Sha);
    client.onManifest(DEVICE_TOPIC, manifest(V3, 3));
    settle();

    client.onManifest(PROFILE_TOPIC, manifest(V2, 2));
    settle();

    assertEquals(List.of(OTA_STATE_MANIFEST_RECEIVED, OTA_STATE_DOWNLOADING), cloud.states());
    assertTrue(cloud.requests.stream().allMatch(r -> r.getModelSha256().equals(v3Sha)));
  }

  @Test
  void resumesAfterARestartRequestingOnlyTheMissingBlocks() throws Exception {
    cloud.publish(V2);
    AtomicInteger answered = new AtomicInteger();
    cloud.drop = r -> answered.incrementAndGet() > 2;
    client.onManifest(PROFILE_TOPIC, manifest(V2, 2));
    settle();
    Set<Integer> received = new HashSet<>(cloud.requestedBlocks().subList(0, 2));
    client.close();
    assertTrue(downloadFiles().containsAll(Set.of(info(V2, 2).sha256Hex() + ".part",
        info(V2, 2).sha256Hex() + ".manifest", info(V2, 2).sha256Hex() + ".progress")), downloadFiles().toString());

    cloud.requests.clear();
    cloud.skipPending();
    cloud.drop = r -> false;
    store = ModelStore.open(tmp.resolve("store"), 2);
    client = start(settings().build());
    client.resumeAfterRestart().get(30, TimeUnit.SECONDS);
    OtaStatus resumed = cloud.await(OTA_STATE_DOWNLOADING);
    OtaStatus end = cloud.awaitEnd();

    assertEquals(2 * Manifests.BLOCK, resumed.getReceivedBytes());
    assertEquals("resuming", resumed.getDetail());
    assertEquals(2, resumed.getAttemptCount());
    assertEquals(OTA_STATE_ACTIVE, end.getState(), end.getDetail());
    Set<Integer> missing = IntStream.range(0, blockCount(V2)).boxed().filter(b -> !received.contains(b))
        .collect(Collectors.toSet());
    assertEquals(missing, new HashSet<>(cloud.requestedBlocks()));
    assertEquals(missing.size(), cloud.requests.size());
    assertServing(info(V2, 2), 1600f);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = OtaState.class, names = {"OTA_STATE_VERIFYING", "OTA_STATE_INSTALLING"})
  void aCrashWhileHeldByFaultInjectionLeavesTheOldModelServingAndTheRestartInstallsTheNewOne(OtaState state)
      throws Exception {
    restart(settings().faultHold(Optional.of(state), 600_000).build());
    cloud.publish(V2);
    client.onManifest(PROFILE_TOPIC, manifest(V2, 2));
    fwi.testing.Poll.until(() -> client.heldIn().equals(Optional.of(state)), java.time.Duration.ofSeconds(30),
        () -> "held in " + state + ", but statuses are " + cloud.states());
    List<OtaState> reported = cloud.states();
    assertEquals(state, reported.get(reported.size() - 1), "the last status names the state it is held in");

    client.simulateCrash();

    ModelInfo v2 = info(V2, 2);
    store = ModelStore.open(tmp.resolve("store"), 2);
    assertEquals(Optional.of(v1), store.active(), "the store still names the old model");
    if (state == OTA_STATE_INSTALLING) {
      assertTrue(Files.isRegularFile(store.file(v2)), "the new file was moved into the store");
      assertEquals(Set.of(), downloadFiles());
    } else {
      assertEquals(Set.of(v2.sha256Hex() + ".part", v2.sha256Hex() + ".manifest", v2.sha256Hex() + ".progress"),
          downloadFiles());
    }
    cloud.skipPending();
    cloud.requests.clear();
    client = start(settings().build());
    client.resumeAfterRestart().get(30, TimeUnit.SECONDS);
    client.onManifest(PROFILE_TOPIC, manifest(V2, 2)); // the retained manifest, delivered again on reconnect
    OtaStatus end = cloud.awaitEnd();

    assertEquals(OTA_STATE_ACTIVE, end.getState(), end.getDetail());
    assertEquals(List.of(), cloud.requestedBlocks(), "nothing downloaded again");
    assertServing(v2, 1600f);
    assertEquals(List.of(v1), store.history());
    assertEquals(Set.of(), downloadFiles());
  }

  @Test
  void faultInjectionHoldsOnlyInVerifyingOrInstalling() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> settings().faultHold(Optional.of(OTA_STATE_DOWNLOADING), 1_000).build());
    assertEquals("fault-injection.hold-in must be NONE, VERIFYING or INSTALLING, but was DOWNLOADING", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> settings().faultHold(Optional.of(OTA_STATE_INSTALLING), 0).build());
    assertEquals("fault-injection.hold-ms must be in [1, 3600000], but was 0", e.getMessage());
  }

  // ---- timeouts, offline, server errors ----

  @Test
  void failsWithDownloadTimeoutWhenABlockNeverComesAndRetriesOnRedelivery() throws Exception {
    cloud.publish(V2);
    cloud.drop = r -> r.getBlockIndex() == 1;
    byte[] payload = manifest(V2, 2);
    client.onManifest(PROFILE_TOPIC, payload);
    settle();
    for (int i = 0; i < 3; i++) {
      clock.advanceMs(1_000);
      client.tick();
      settle();
    }

    assertEnded(cloud.awaitEnd(), OTA_STATE_FAILED, OtaReason.OTA_REASON_DOWNLOAD_TIMEOUT_VALUE,
        "block 1 of 6: no answer within 1000 ms, after 2 retries");
    assertEquals(3, cloud.requestedBlocks().stream().filter(b -> b == 1).count());
    assertServing(v1, 1500f);

    cloud.drop = r -> false;
    cloud.requests.clear();
    client.onManifest(PROFILE_TOPIC, payload);
    OtaStatus end = cloud.awaitEnd();
    assertEquals(OTA_STATE_ACTIVE, end.getState(), end.getDetail());
    assertEquals(2, end.getAttemptCount());
    assertEquals(List.of(1), cloud.requestedBlocks(), "the retry resumes: only the missing block is fetched");
  }

  @Test
  void waitsOfflineWithoutSpendingRetriesAndResumesWhenOnline() throws Exception {
    cloud.publish(V2);
    cloud.online = false;
    client.onManifest(PROFILE_TOPIC, manifest(V2, 2));
    cloud.await(OTA_STATE_DOWNLOADING);
    for (int i = 0; i < 10; i++) {
      clock.advanceMs(1_000);
      client.tick();
      settle();
    }
    OtaStatus progress = cloud.await(OTA_STATE_DOWNLOADING);
    assertEquals("offline; waiting for the connection", progress.getDetail());
    assertFalse(cloud.states().contains(OTA_STATE_FAILED));

    cloud.online = true;
    client.tick();

    assertEquals(OTA_STATE_ACTIVE, cloud.awaitEnd().getState());
    assertEquals(blockCount(V2), cloud.requests.size());
  }

  @Test
  void pausesForRetryAfterWhenTheCloudIsBusy() throws Exception {
    cloud.publish(V2);
    cloud.refuse(0, BlockErrorCode.BLOCK_ERROR_CODE_RATE_LIMITED, 5_000);
    client.onManifest(PROFILE_TOPIC, manifest(V2, 2));
    settle();
    int requests = cloud.requests.size();
    cloud.stopRefusing(0);

    clock.advanceMs(4_999);
    client.tick();
    settle();
    assertEquals(requests, cloud.requests.size(), "no request before retry_after_ms passed");

    clock.advanceMs(1);
    client.tick();
    assertEquals(OTA_STATE_ACTIVE, cloud.awaitEnd().getState());
  }

  @Test
  void reportsProgressPeriodicallyWhileDownloading() throws Exception {
    cloud.publish(V2);
    AtomicInteger answered = new AtomicInteger();
    cloud.drop = r -> answered.incrementAndGet() > 3;
    client.onManifest(PROFILE_TOPIC, manifest(V2, 2));
    OtaStatus first = cloud.await(OTA_STATE_DOWNLOADING);
    settle();

    clock.advanceMs(OtaSettings.defaults().progressIntervalMs());
    client.tick();
    OtaStatus progress = cloud.await(OTA_STATE_DOWNLOADING);

    assertEquals(0, first.getReceivedBytes());
    assertEquals(3 * Manifests.BLOCK, progress.getReceivedBytes());
    assertEquals(V2.length, progress.getTotalBytes());
    assertEquals(first.getStateEnteredUnixMs(), progress.getStateEnteredUnixMs(), "still the same state");
  }

  // ---- rollbacks ----

  @Test
  void installsASignedRollbackFromTheKeptFileWithoutDownloading() throws Exception {
    install(V2, 2);
    cloud.requests.clear();

    OtaStatus end = send(manifests.signed(Manifests.body(V1, "inv-v1", 1).setRollback(true).setRollbackFromVersion(2)));

    assertEquals(OTA_STATE_ACTIVE, end.getState(), end.getDetail());
    assertTrue(end.getRollback());
    assertEquals(OtaClient.ref(info(V2, 2)), end.getFromModel());
    assertEquals(OtaClient.ref(v1), end.getToModel());
    assertEquals(List.of(), cloud.requests);
    assertServing(v1, 1500f);
    assertEquals(List.of(info(V2, 2)), store.history());
  }

  @Test
  void rollsBackAutomaticallyWhenTheNewModelFailsInferences() throws Exception {
    install(V2, 2);
    ModelInfo v2 = info(V2, 2);

    client.recordInference(v2, 1_000_000, true);
    client.recordInference(v2, 1_000_000, false);
    client.recordInference(v2, 1_000_000, false);
    OtaStatus end = cloud.awaitEnd();

    assertEnded(end, OTA_STATE_ROLLED_BACK, OtaReason.OTA_REASON_HEALTH_CHECK_FAILED_VALUE,
        "error ratio must be at most 0.100, but 2 of 3 inferences failed (window 10 inferences); inv-v2@2 -> inv-v1@1");
    assertEquals(OtaClient.ref(v1), end.getFromModel());
    assertEquals(OtaClient.ref(v2), end.getToModel());
    assertServing(v1, 1500f);
    assertEquals(List.of(v2), store.rolledBack());
    assertEquals(List.of(), store.history());
    assertFalse(Files.exists(store.file(v2)));
  }

  @Test
  void rollsBackAutomaticallyWhenTheNewModelIsMuchSlowerThanTheOldOne() throws Exception {
    client.close();
    client = start(settings().smokeLatencyBudgetMs(50).build());
    for (int i = 0; i < 10; i++) {
      client.recordInference(v1, 10_000_000, true);
    }
    install(V2, 2);

    for (int i = 0; i < 10; i++) {
      client.recordInference(info(V2, 2), 200_000_000, true);
    }

    assertEnded(cloud.awaitEnd(), OTA_STATE_ROLLED_BACK, OtaReason.OTA_REASON_HEALTH_CHECK_FAILED_VALUE,
        "p95 latency over 10 inferences must be at most 50.000 ms = max(budget 50 ms, 2.00 x previous p95 10.000 ms), "
            + "but was 200.000 ms; inv-v2@2 -> inv-v1@1");
    assertServing(v1, 1500f);
  }

  @Test
  void keepsAModelThatPassesItsHealthWindow() throws Exception {
    install(V2, 2);
    ModelInfo v2 = info(V2, 2);
    for (int i = 0; i < 10; i++) {
      client.recordInference(v2, 1_000_000, true);
    }
    for (int i = 0; i < 10; i++) {
      client.recordInference(v2, 1_000_000, false); // after the window: the agent's own error handling, not OTA's
    }
    clock.advanceMs(OtaSettings.defaults().healthWindowMs());
    client.tick();
    settle();

    assertEquals(OTA_STATE_ACTIVE, cloud.statuses.get(cloud.statuses.size() - 1).getState());
    assertServing(v2, 1600f);
  }

  @Test
  void rollsBackOnAnOperatorsRequest() throws Exception {
    install(V2, 2);

    ModelInfo now = client.rollback("velocity maps look striped").get(30, TimeUnit.SECONDS);

    assertEquals(v1, now);
    OtaStatus end = cloud.awaitEnd();
    assertEnded(end, OTA_STATE_ROLLED_BACK, OtaReason.OTA_REASON_OPERATOR_REQUEST_VALUE, "operator request: velocity maps look striped; inv-v2@2 -> inv-v1@1");
    assertTrue(end.getSmokeTestLatencyUs() >= 0);
    assertServing(v1, 1500f);
    assertEquals(List.of(info(V2, 2)), store.rolledBack());
  }

  @Test
  void refusesAnOperatorRollbackWithoutAPreviousModel() {
    ExecutionException e = assertThrows(ExecutionException.class, () -> client.rollback("why not").get(30,
        TimeUnit.SECONDS));

    assertInstanceOf(IllegalStateException.class, e.getCause());
    assertEquals("no previous model to roll back to from inv-v1@1; history: []", e.getCause().getMessage());
  }

  @Test
  void keepsOnlyTheConfiguredNumberOfPreviousModelFiles() throws Exception {
    install(V2, 2);
    install(V3, 3);
    install(V4, 4);

    assertEquals(List.of(info(V3, 3), info(V2, 2)), store.history());
    try (Stream<Path> files = Files.list(store.directory().resolve("models"))) {
      assertEquals(Set.of(info(V4, 4), info(V3, 3), info(V2, 2)).stream().map(m -> m.sha256Hex() + ".onnx")
          .collect(Collectors.toSet()), files.map(p -> p.getFileName().toString()).collect(Collectors.toSet()));
    }
    assertServing(info(V4, 4), 1800f);
  }
}
