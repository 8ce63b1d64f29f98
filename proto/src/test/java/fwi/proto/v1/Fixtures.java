package fwi.proto.v1;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Realistic instances of every fwi.v1 message with every field set to a non-default value.
 * Messages with a oneof have one instance per alternative; {@link #all()} lists them all, and
 * {@code ContractConventionsTest} fails if a field of any message is left unset in every instance.
 */
final class Fixtures {

  static final String DEVICE_ID = "pi-4b-7f3a9c21";
  static final String CLOUD_ID = "cloud-pruner-0";
  static final long NOW_UNIX_MS = 1_790_000_000_000L;

  private Fixtures() {}

  /** SHA-256 of the UTF-8 bytes of {@code text}: 32 raw bytes, as every sha256 field holds. */
  static ByteString sha256(String text) {
    try {
      return ByteString.copyFrom(
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK provides SHA-256", e);
    }
  }

  static Header header(String senderId, long sequence) {
    return Header.newBuilder()
        .setSchemaVersion(1)
        .setSenderId(senderId)
        .setSequence(sequence)
        .setSentUnixMs(NOW_UNIX_MS + sequence)
        .build();
  }

  static ModelRef modelRef(long version) {
    String id = "inversionnet-pi-4b-v" + version;
    return ModelRef.newBuilder()
        .setModelId(id)
        .setVersion(version)
        .setSha256(sha256(id + ".onnx"))
        .build();
  }

  static QualityMetrics quality(double maeMetresPerSecond) {
    return QualityMetrics.newBuilder()
        .setMaeMPerS(maeMetresPerSecond)
        .setRmseMPerS(maeMetresPerSecond * 1.6)
        .setSsim(0.87)
        .setEvalDatasetId("openfwi-flatvel-a/test")
        .setEvalSampleCount(500)
        .build();
  }

  static Telemetry telemetry() {
    return Telemetry.newBuilder()
        .setHeader(header(DEVICE_ID, 4_711))
        .setWindowStartUnixMs(NOW_UNIX_MS - 60_000)
        .setWindowLengthMs(60_000)
        .setModel(modelRef(7))
        .setInferenceCount(118)
        .setThroughputPerS(1.9666)
        .setLatencyP50Us(310_000)
        .setLatencyP95Us(402_500)
        .setLatencyP99Us(455_000)
        .setLatencyMaxUs(512_000)
        .setLatencyMeanUs(321_700)
        .setInferenceErrorCount(2)
        .setInputErrorCount(1)
        .setInputDroppedCount(3)
        .setPublishDroppedCount(4)
        .setPublishBufferedCount(17)
        .setMemoryRssBytes(412_000_000L)
        .setHeapUsedBytes(96_000_000L)
        .setHeapMaxBytes(256_000_000L)
        .setMemoryAvailableBytes(2_900_000_000L)
        .setCpuTemperatureMdegC(-5_250)
        .setCpuThrottled(true)
        .build();
  }

  /** A 70 x 70 map from 1500 m/s at the top to 4500 m/s at the bottom, quantized to uint16. */
  static VelocityMap velocityMap() {
    int depth = 70;
    int width = 70;
    ByteBuffer data = ByteBuffer.allocate(depth * width * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int z = 0; z < depth; z++) {
      for (int x = 0; x < width; x++) {
        data.putShort((short) Math.round(z * 65_535.0 / (depth - 1)));
      }
    }
    data.flip();
    return VelocityMap.newBuilder()
        .setEncoding(VelocityEncoding.VELOCITY_ENCODING_UINT16_SCALED)
        .addAllShape(List.of(1, 1, depth, width))
        .setScaleMPerS(3000f / 65535f)
        .setOffsetMPerS(1500f)
        .setData(ByteString.copyFrom(data))
        .build();
  }

  static VelocityStats velocityStats() {
    return VelocityStats.newBuilder()
        .setMinMPerS(1500f)
        .setMaxMPerS(4500f)
        .setMeanMPerS(2978.5f)
        .build();
  }

  static InferenceResult inferenceResult() {
    return InferenceResult.newBuilder()
        .setHeader(header(DEVICE_ID, 90_001))
        .setInputId("shots/2026-11-21T20-00-00Z_0042.npy")
        .setModel(modelRef(7))
        .setInferenceLatencyUs(318_000)
        .setEndToEndLatencyUs(341_200)
        .setInputReceivedUnixMs(NOW_UNIX_MS - 400)
        .setStats(velocityStats())
        .setVelocityMap(velocityMap())
        .build();
  }

  static DeviceCapabilities capabilities() {
    return DeviceCapabilities.newBuilder()
        .setOnnxruntimeVersion("1.29.0")
        .setMaxOnnxOpset(17)
        .setMaxOnnxIrVersion(8)
        .addExecutionProviders("CPUExecutionProvider")
        .addVelocityEncodings(VelocityEncoding.VELOCITY_ENCODING_FLOAT32)
        .addVelocityEncodings(VelocityEncoding.VELOCITY_ENCODING_UINT16_SCALED)
        .setMaxBlockSizeBytes(262_144)
        .addTrustedKeyIds("manifest-2026a")
        .setCpuCores(4)
        .setMemoryTotalBytes(4_000_000_000L)
        .setDiskFreeBytes(21_000_000_000L)
        .setCpuDescription("Cortex-A72")
        .setCpuArch("aarch64")
        .setOsDescription("Debian GNU/Linux 12 (bookworm)")
        .setJavaVersion("17.0.15")
        .build();
  }

  static Birth birth() {
    return Birth.newBuilder()
        .setHeader(header(DEVICE_ID, 42))
        .setSessionSeq(42)
        .setProfileName("pi-4b")
        .setAgentVersion("0.1.0")
        .setCapabilities(capabilities())
        .setRunningModel(modelRef(7))
        .setAgentStartedUnixMs(NOW_UNIX_MS - 9_000)
        .addSkippedSequences(sequenceSkip())
        .build();
  }

  static SequenceSkip sequenceSkip() {
    return SequenceSkip.newBuilder().setMessageType("result").setFirstSeq(151).setLastSeq(199).build();
  }

  static Death death() {
    return Death.newBuilder()
        .setHeader(header(DEVICE_ID, 42))
        .setSessionSeq(42)
        .setReason(DeathReason.DEATH_REASON_CONNECTION_LOST)
        .build();
  }

  static HardwareProfile hardwareProfile() {
    return HardwareProfile.newBuilder()
        .setSchemaVersion(1)
        .setName("pi-4b")
        .setCpuCores(4)
        .setMemoryBytes(4_000_000_000L)
        .setLatencyP95SloUs(400_000)
        .setMemoryBudgetBytes(1_000_000_000L)
        .setCpuDescription("4x Cortex-A72 @ 1.8 GHz, aarch64")
        .build();
  }

  private static PruneJob.Builder pruneJobWithoutTarget() {
    return PruneJob.newBuilder()
        .setHeader(header("planner-0", 12))
        .setJobId("5b0c2a4e-8d3f-4a57-9c61-0f2e9e7d1b33")
        .setProfile(hardwareProfile())
        .setBaseModel(modelRef(6))
        .setMethod(PruneMethod.PRUNE_METHOD_LATENCY)
        .setFineTuneEpochs(3)
        .setRetrainThresholdMaeRatio(1.10)
        .setRetrainEpochs(40)
        .setDatasetId("openfwi-flatvel-a")
        .setRandomSeed(20_261_121L)
        .setRequestedBy("planner")
        .setCreatedUnixMs(NOW_UNIX_MS - 3_600_000);
  }

  static PruneJob pruneJobTargetingChannelRatio() {
    return pruneJobWithoutTarget().setTargetChannelRatio(0.4).build();
  }

  static PruneJob pruneJobTargetingMacs() {
    return pruneJobWithoutTarget().setTargetMacs(12_000_000_000L).build();
  }

  static PruneJob pruneJobTargetingLatency() {
    return pruneJobWithoutTarget().setTargetLatencyP95Us(380_000).build();
  }

  static PhaseTiming phaseTiming(PrunePhase phase, long wallTimeMs) {
    return PhaseTiming.newBuilder().setPhase(phase).setWallTimeMs(wallTimeMs).build();
  }

  static PruneJobReport pruneJobReport() {
    return PruneJobReport.newBuilder()
        .setHeader(header(CLOUD_ID, 77))
        .setJobId("5b0c2a4e-8d3f-4a57-9c61-0f2e9e7d1b33")
        .setState(PruneJobState.PRUNE_JOB_STATE_SUCCEEDED)
        .setPhase(PrunePhase.PRUNE_PHASE_REGISTERING)
        .setProgressPercent(100.0)
        .setParamCountBefore(24_400_000L)
        .setParamCountAfter(9_100_000L)
        .setMacsBefore(28_000_000_000L)
        .setMacsAfter(11_500_000_000L)
        .setPredictedLatencyP95Us(372_000)
        .setMeasuredLatencyP95Us(389_000)
        .setQualityBefore(quality(48.0))
        .setQualityAfter(quality(53.5))
        .setRetrained(true)
        .addPhaseTimings(phaseTiming(PrunePhase.PRUNE_PHASE_PLANNING, 1_200))
        .addPhaseTimings(phaseTiming(PrunePhase.PRUNE_PHASE_FINE_TUNING, 1_850_000))
        .setResultingModel(modelRef(7))
        .setErrorDetail("fine-tuned MAE 61.2 m/s exceeded 1.10 x base MAE 48.0 m/s; retrained")
        .build();
  }

  static LayerPruning layerPruning() {
    return LayerPruning.newBuilder()
        .setLayerName("convblock4_1.conv")
        .setChannelCountBefore(128)
        .setChannelCountAfter(77)
        .build();
  }

  static PrunePlanSummary prunePlanSummary() {
    return PrunePlanSummary.newBuilder()
        .setJobId("5b0c2a4e-8d3f-4a57-9c61-0f2e9e7d1b33")
        .setMethod(PruneMethod.PRUNE_METHOD_LATENCY)
        .setChannelRatio(0.4)
        .addLayers(layerPruning())
        .setPredictedLatencyP95Us(372_000)
        .setFineTuneEpochs(3)
        .setRetrained(true)
        .build();
  }

  static TensorSpec tensorSpec(String name, long... dims) {
    TensorSpec.Builder spec = TensorSpec.newBuilder().setName(name).setElementType("FLOAT");
    for (long dim : dims) {
      spec.addDims(dim);
    }
    return spec.build();
  }

  static ManifestBody manifestBody() {
    long sizeBytes = 36_500_123L;
    int blockSizeBytes = 262_144;
    int blockCount = (int) ((sizeBytes + blockSizeBytes - 1) / blockSizeBytes);
    ManifestBody.Builder body = ManifestBody.newBuilder()
        .setSchemaVersion(1)
        .setModelId("inversionnet-pi-4b-v7")
        .setVersion(7)
        .setProfileName("pi-4b")
        .addTargetDeviceIds(DEVICE_ID)
        .setRollback(true)
        .setRollbackFromVersion(8)
        .setBaseModel(modelRef(6))
        .setPlan(prunePlanSummary())
        .setCreatedUnixMs(NOW_UNIX_MS - 1_000)
        .setParamCount(9_100_000L)
        .setMacs(11_500_000_000L)
        .setQuality(quality(53.5))
        .setSha256(sha256("inversionnet-pi-4b-v7.onnx"))
        .setSizeBytes(sizeBytes)
        .setBlockSizeBytes(blockSizeBytes)
        .setBlockCount(blockCount)
        .setOnnxOpset(17)
        .setOnnxIrVersion(8)
        .addInputs(tensorSpec("shot_gathers", -1, 5, 1000, 70))
        .addOutputs(tensorSpec("velocity_m_per_s", -1, 1, 70, 70));
    for (int i = 0; i < blockCount; i++) {
      body.addBlockSha256(sha256("block " + i));
    }
    return body.build();
  }

  /** A manifest with a placeholder signature; ModelManifestTest signs for real. */
  static SignedManifest signedManifest() {
    return SignedManifest.newBuilder()
        .setHeader(header(CLOUD_ID, 301))
        .setBody(manifestBody().toByteString())
        .setSignature(sha256("signature, first half").concat(sha256("signature, second half")))
        .setKeyId("manifest-2026a")
        .build();
  }

  static BlockRequest blockRequest() {
    return BlockRequest.newBuilder()
        .setHeader(header(DEVICE_ID, 5_003))
        .setRequestId("0d7c9e14-52b1-4b9a-8a7e-3f6f0b2c9d11")
        .setModelSha256(sha256("inversionnet-pi-4b-v7.onnx"))
        .setBlockIndex(3)
        .setOffsetBytes(3L * 262_144)
        .setLengthBytes(262_144)
        .build();
  }

  static BlockResponse blockResponseWithData() {
    ByteString data = ByteString.copyFrom(new byte[4096]).concat(sha256("payload"));
    return BlockResponse.newBuilder()
        .setHeader(header(CLOUD_ID, 9_001))
        .setRequestId("0d7c9e14-52b1-4b9a-8a7e-3f6f0b2c9d11")
        .setModelSha256(sha256("inversionnet-pi-4b-v7.onnx"))
        .setBlockIndex(3)
        .setOffsetBytes(3L * 262_144)
        .setBlockSha256(sha256("block 3"))
        .setData(data)
        .build();
  }

  static BlockError blockError() {
    return BlockError.newBuilder()
        .setCode(BlockErrorCode.BLOCK_ERROR_CODE_RATE_LIMITED)
        .setDetail("device pi-4b-7f3a9c21 has 32 requests in flight, limit is 8")
        .setRetryAfterMs(2_000)
        .build();
  }

  static BlockResponse blockResponseWithError() {
    return BlockResponse.newBuilder()
        .setHeader(header(CLOUD_ID, 9_002))
        .setRequestId("0d7c9e14-52b1-4b9a-8a7e-3f6f0b2c9d11")
        .setModelSha256(sha256("inversionnet-pi-4b-v7.onnx"))
        .setBlockIndex(3)
        .setOffsetBytes(3L * 262_144)
        .setError(blockError())
        .build();
  }

  static OtaStatus otaStatus() {
    return OtaStatus.newBuilder()
        .setHeader(header(DEVICE_ID, 610))
        .setState(OtaState.OTA_STATE_ROLLED_BACK)
        .setReason(OtaReason.OTA_REASON_SMOKE_TEST_LATENCY_EXCEEDED)
        .setDetail("smoke test latency 512000 us exceeds SLO 400000 us")
        .setStateEnteredUnixMs(NOW_UNIX_MS - 20)
        .setFromModel(modelRef(6))
        .setToModel(modelRef(7))
        .setRollback(true)
        .setReceivedBytes(36_500_123L)
        .setTotalBytes(36_500_123L)
        .setAttemptCount(2)
        .setSmokeTestLatencyUs(512_000)
        .build();
  }

  private static DeviceEvent.Builder deviceEvent() {
    return DeviceEvent.newBuilder()
        .setSchemaVersion(1)
        .setDeviceId(DEVICE_ID)
        .setReceivedUnixMs(NOW_UNIX_MS + 15);
  }

  static DeviceEvent deviceEventWithBirth() {
    return deviceEvent().setBirth(birth()).build();
  }

  static DeviceEvent deviceEventWithDeath() {
    return deviceEvent().setDeath(death()).build();
  }

  static DeviceEvent deviceEventWithOtaStatus() {
    return deviceEvent().setOtaStatus(otaStatus()).build();
  }

  static JobEvent jobEventWithJob() {
    return JobEvent.newBuilder().setSchemaVersion(1).setJob(pruneJobTargetingLatency()).build();
  }

  static JobEvent jobEventWithReport() {
    return JobEvent.newBuilder().setSchemaVersion(1).setReport(pruneJobReport()).build();
  }

  /** Every fixture above: at least one instance of every message type, one per oneof case. */
  static List<Message> all() {
    return List.of(
        header(DEVICE_ID, 1),
        modelRef(7),
        quality(48.0),
        telemetry(),
        velocityMap(),
        velocityStats(),
        inferenceResult(),
        hardwareProfile(),
        capabilities(),
        birth(),
        sequenceSkip(),
        death(),
        pruneJobTargetingChannelRatio(),
        pruneJobTargetingMacs(),
        pruneJobTargetingLatency(),
        phaseTiming(PrunePhase.PRUNE_PHASE_EVALUATING, 42_000),
        pruneJobReport(),
        layerPruning(),
        prunePlanSummary(),
        tensorSpec("shot_gathers", -1, 5, 1000, 70),
        manifestBody(),
        signedManifest(),
        blockRequest(),
        blockResponseWithData(),
        blockError(),
        blockResponseWithError(),
        otaStatus(),
        deviceEventWithBirth(),
        deviceEventWithDeath(),
        deviceEventWithOtaStatus(),
        jobEventWithJob(),
        jobEventWithReport());
  }
}
