package fwi.edge.input;

import fwi.edge.inference.BusyException;
import fwi.edge.inference.Inference;
import fwi.edge.inference.InferenceService;
import fwi.edge.inference.InputRejectedException;
import fwi.edge.inference.NoModelException;
import fwi.proto.codec.VelocityMaps;
import fwi.proto.v1.VelocityStats;
import fwi.runtime.npy.Npy;
import fwi.runtime.ort.InferenceException;
import fwi.runtime.tensor.FloatTensor;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code POST /infer}: one input in, the velocity map and latency out.
 *
 * <ul>
 *   <li>Body {@code application/x-npy} (or any type, if it starts with the .npy magic): an .npy
 *       float array; {@code application/octet-stream} with header {@code X-Shape: 1,5,1000,70}: raw
 *       little-endian float32.
 *   <li>Optional {@code X-Input-Id} names the input in the result (default {@code http-<n>}).
 *   <li>Answer: JSON {@link Answer} (velocity flattened row-major, m/s), or with
 *       {@code Accept: application/x-npy} the output as .npy with the model and latency in headers.
 *   <li>400 malformed, wrong shape or NaN/Inf (message names the value); 413 too large; 503 no model
 *       yet or busy (Retry-After); 500 the model failed.
 * </ul>
 */
@Path("/infer")
public class InferResource {
  static final String NPY = "application/x-npy";
  private static final AtomicLong COUNTER = new AtomicLong();

  private final InferenceService service;

  InferResource(InferenceService service) {
    this.service = service;
  }

  /** The model that answered. */
  public record ModelJson(String id, long version, String sha256) {
  }

  /** Answer of a successful inference. */
  public record Answer(String inputId, ModelJson model, long inferenceLatencyUs, long endToEndLatencyUs, int[] shape,
      float min, float max, float mean, float[] velocity) {
  }

  @POST
  @Blocking
  @Consumes(MediaType.WILDCARD)
  public Response infer(InputStream body, @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType,
      @HeaderParam("X-Shape") String shape, @HeaderParam("X-Input-Id") String inputId,
      @HeaderParam(HttpHeaders.ACCEPT) String accept) throws IOException {
    long t0 = System.nanoTime();
    long wall = System.currentTimeMillis();
    String id = inputId == null || inputId.isBlank() ? "http-" + COUNTER.incrementAndGet() : inputId.trim();
    Inference inf = service.inference();
    try {
      var in = new java.io.BufferedInputStream(body);
      in.mark(8);
      byte[] magic = in.readNBytes(6);
      in.reset();
      boolean isNpy = magic.length == 6 && magic[0] == (byte) 0x93 && new String(magic, 1, 5).equals("NUMPY");
      FloatTensor x = isNpy || (contentType != null && contentType.startsWith(NPY))
          ? Payloads.npy(in, id, inf.maxInputBytes())
          : Payloads.raw(in, shape, id, inf.maxInputBytes());
      Inference.Outcome o = inf.infer(id, x, t0, wall);
      if (accept != null && accept.contains(NPY)) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npy.write(out, o.output());
        return Response.ok(out.toByteArray(), NPY)
            .header("X-Model", o.model().label())
            .header("X-Inference-Latency-Us", o.inferenceNanos() / 1000)
            .header("X-End-To-End-Latency-Us", o.endToEndNanos() / 1000).build();
      }
      VelocityStats s = VelocityMaps.stats(o.output().data());
      return Response.ok(new Answer(id, new ModelJson(o.model().modelId(), o.model().version(), o.model().sha256Hex()),
          o.inferenceNanos() / 1000, o.endToEndNanos() / 1000, o.output().shape().dims(), s.getMinMPerS(),
          s.getMaxMPerS(), s.getMeanMPerS(), o.output().data()), MediaType.APPLICATION_JSON).build();
    } catch (InputRejectedException e) {
      int status = e.kind() == InputRejectedException.Kind.TOO_LARGE ? 413 : 400;
      return error(status, e.getMessage());
    } catch (NoModelException e) {
      return error(503, e.getMessage());
    } catch (BusyException e) {
      return Response.fromResponse(error(503, e.getMessage())).header("Retry-After", "1").build();
    } catch (InferenceException e) {
      return error(500, e.getMessage());
    }
  }

  static Response error(int status, String message) {
    return Response.status(status).type(MediaType.APPLICATION_JSON).entity(Map.of("error", message)).build();
  }
}
