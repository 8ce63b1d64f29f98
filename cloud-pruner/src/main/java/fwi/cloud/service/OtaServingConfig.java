package fwi.cloud.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

/**
 * The cloud side of OTA ({@code fwi.ota.*}): the block publisher answering devices' block requests
 * and the manifest publisher. Instances share the request subscription, so any of them may answer.
 */
@ConfigMapping(prefix = "fwi.ota")
public interface OtaServingConfig {
  /** MQTT client id prefix of this instance's OTA connections (stable per instance). */
  @WithName("client-id")
  @WithDefault("fwi-ota-1")
  String clientId();

  Blocks blocks();

  /** Block serving. */
  interface Blocks {
    /** Where block requests arrive; a shared subscription so instances split them. */
    @WithName("request-filter")
    @WithDefault("$share/fwi-ota/fwi/v1/dev/+/ota/get")
    String requestFilter();

    @WithName("worker-threads")
    @WithDefault("4")
    int workerThreads();

    /** Per-device block rate (0: unlimited). */
    @WithName("device-blocks-per-second")
    @WithDefault("50")
    double deviceBlocksPerSecond();

    @WithName("device-burst-blocks")
    @WithDefault("32")
    int deviceBurstBlocks();

    /** Per-device byte rate (0: unlimited). */
    @WithName("device-bytes-per-second")
    @WithDefault("0")
    long deviceBytesPerSecond();

    @WithName("device-burst-bytes")
    @WithDefault("0")
    long deviceBurstBytes();
  }
}
