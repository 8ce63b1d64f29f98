package fwi.edge.web;

/**
 * What the page, health checks and metrics need to know about the broker link and OTA, implemented
 * by the agent's wiring so the web layer does not depend on MQTT classes.
 */
public interface AgentStatus {
  boolean brokerConnected();

  /** Messages waiting in the disk outbox. */
  long publishBuffered();

  /** Messages dropped by the outbox bound since the device was installed. */
  long publishDropped();

  /** PUBACKs saying no subscriber got the message (kept and sent again) since start. */
  long publishUnmatched();

  /** Messages acknowledged by the broker since start. */
  long publishSent();

  /** Name of the OTA state, e.g. {@code IDLE} or {@code DOWNLOADING}. */
  String otaState();
}
