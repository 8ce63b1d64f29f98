package fwi.edge.ota;

import fwi.proto.v1.BlockRequest;
import fwi.proto.v1.OtaStatus;

/**
 * How the OTA client talks to the cloud (implemented over MQTT by the agent's publisher). Both
 * methods are called on the OTA client's own thread and must not block for long: queue and return.
 */
public interface OtaTransport {
  /**
   * Sends a block request to {@code fwi/v1/dev/{deviceId}/ota/get}. The transport fills the header.
   * The answer comes back through {@link OtaClient#onBlock}.
   *
   * @return false if it could not be sent now (offline); the client asks again on a later tick
   *     without counting it as a retry
   */
  boolean requestBlock(BlockRequest.Builder request);

  /**
   * Publishes a status to {@code fwi/v1/dev/{deviceId}/ota/status}. The transport fills the
   * header; a status it cannot deliver may be dropped (the next one supersedes it).
   */
  void status(OtaStatus.Builder status);
}
