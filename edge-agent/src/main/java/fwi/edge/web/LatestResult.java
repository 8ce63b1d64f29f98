package fwi.edge.web;

import fwi.edge.inference.Inference;
import fwi.edge.inference.InferenceService;
import fwi.runtime.image.SeismicPictures;
import fwi.runtime.tensor.FloatTensor;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the local page shows: the latest input and output (rendered to PNG lazily, once per result,
 * never on the inference thread) and the recent latencies for its chart.
 */
@ApplicationScoped
public class LatestResult {
  /** One point of the latency chart. */
  public record Point(long unixMs, double inferenceMs, String model) {
  }

  private static final int POINTS = 300;

  private final InferenceService service;
  private final ArrayDeque<Point> points = new ArrayDeque<>();
  private volatile Inference.Outcome latest;
  private Inference.Outcome rendered;
  private byte[] gatherPng;
  private byte[] velocityPng;

  LatestResult(InferenceService service) {
    this.service = service;
  }

  void start(@Observes StartupEvent e) {
    service.inference().addListener(this::record);
  }

  private void record(Inference.Outcome o) {
    latest = o;
    synchronized (points) {
      points.addLast(new Point(System.currentTimeMillis(), o.inferenceNanos() / 1e6, o.model().label()));
      while (points.size() > POINTS) {
        points.removeFirst();
      }
    }
  }

  public Optional<Inference.Outcome> latest() {
    return Optional.ofNullable(latest);
  }

  public List<Point> points() {
    synchronized (points) {
      return new ArrayList<>(points);
    }
  }

  /** PNG of the latest input's shot gathers (first sample of the batch). */
  public synchronized Optional<byte[]> gatherPng() {
    render();
    return Optional.ofNullable(gatherPng);
  }

  /** PNG of the latest predicted velocity map, coloured over 1500-4500 m/s (OpenFWI's range). */
  public synchronized Optional<byte[]> velocityPng() {
    render();
    return Optional.ofNullable(velocityPng);
  }

  private void render() {
    Inference.Outcome o = latest;
    if (o == null || o == rendered) {
      return;
    }
    FloatTensor in = o.input().shape().dim(0) > 1 ? o.input().slice(0) : o.input();
    FloatTensor out = o.output().shape().dim(0) > 1 ? o.output().slice(0) : o.output();
    gatherPng = SeismicPictures.shotGather(in);
    float lo = 1500;
    float hi = 4500;
    for (float v : out.data()) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    velocityPng = SeismicPictures.velocityMap(out, lo, hi);
    rendered = o;
  }
}
