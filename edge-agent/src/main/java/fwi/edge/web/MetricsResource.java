package fwi.edge.web;

import fwi.edge.AgentIdentity;
import fwi.edge.inference.Inference;
import fwi.edge.inference.InferenceService;
import fwi.edge.inference.LatencyWindow;
import fwi.edge.telemetry.SystemProbe;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;

/**
 * {@code /q/metrics} in the Prometheus text format 0.0.4. Hand-written for the same reason as
 * {@link HealthResource}; the set is small and stable: counters since start, the recent latency
 * quantiles, outbox gauges and memory.
 */
@Path("/q/metrics")
public class MetricsResource {
  private final AgentIdentity identity;
  private final InferenceService service;
  private final AgentStatus status;

  MetricsResource(AgentIdentity identity, InferenceService service, AgentStatus status) {
    this.identity = identity;
    this.service = service;
    this.status = status;
  }

  @GET
  @Produces("text/plain; version=0.0.4; charset=utf-8")
  public String metrics() {
    Inference inf = service.inference();
    Inference.Totals t = inf.totals();
    LatencyWindow.Snapshot s = inf.recentLatency();
    StringBuilder b = new StringBuilder();
    String labels = "{device=\"" + identity.deviceId() + "\",profile=\"" + identity.profile() + "\"}";
    counter(b, "fwi_inferences_total", "Inferences completed", labels, t.completed());
    counter(b, "fwi_inference_errors_total", "Inferences that failed in ONNX Runtime or gave non-finite output", labels,
        t.inferenceErrors());
    counter(b, "fwi_input_errors_total", "Inputs refused before inference", labels, t.inputErrors());
    counter(b, "fwi_inputs_dropped_total", "Inputs refused because too many waited", labels, t.dropped());
    b.append("# HELP fwi_inference_latency_seconds Session run latency over the last ").append(s.count())
        .append(" inferences\n# TYPE fwi_inference_latency_seconds summary\n");
    for (var q : new Object[][] {{"0.5", s.p50()}, {"0.95", s.p95()}, {"0.99", s.p99()}, {"1", s.max()}}) {
      b.append("fwi_inference_latency_seconds{device=\"").append(identity.deviceId()).append("\",profile=\"")
          .append(identity.profile()).append("\",quantile=\"").append(q[0]).append("\"} ")
          .append((Long) q[1] / 1e9).append('\n');
    }
    b.append("fwi_inference_latency_seconds_count").append(labels).append(' ').append(s.total()).append('\n');
    gauge(b, "fwi_broker_connected", "1 when the MQTT session is up", labels, status.brokerConnected() ? 1 : 0);
    gauge(b, "fwi_outbox_messages", "Messages waiting in the disk outbox", labels, status.publishBuffered());
    counter(b, "fwi_outbox_dropped_total", "Messages dropped by the outbox bound", labels, status.publishDropped());
    counter(b, "fwi_published_total", "Messages acknowledged by the broker", labels, status.publishSent());
    counter(b, "fwi_publish_unmatched_total", "Messages the broker had no subscriber for (kept, sent again)", labels,
        status.publishUnmatched());
    gauge(b, "fwi_model_version", "Version of the serving model (0: none)", labels,
        inf.model().map(m -> m.version()).orElse(0L));
    SystemProbe.rssBytes().ifPresent(r -> gauge(b, "fwi_process_resident_memory_bytes", "Resident set size", labels, r));
    gauge(b, "fwi_jvm_heap_used_bytes", "JVM heap in use", labels, SystemProbe.heap().getUsed());
    return b.toString();
  }

  private static void counter(StringBuilder b, String name, String help, String labels, long v) {
    b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n")
        .append(name).append(labels).append(' ').append(v).append('\n');
  }

  private static void gauge(StringBuilder b, String name, String help, String labels, long v) {
    b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" gauge\n")
        .append(name).append(labels).append(' ').append(v).append('\n');
  }
}
