package fwi.cloud.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import fwi.proto.v1.LayerPruning;
import fwi.proto.v1.ModelRef;
import fwi.proto.v1.PruneMethod;
import fwi.proto.v1.PrunePlanSummary;
import fwi.proto.v1.QualityMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The registry's persistent state, immutable: per profile the last version handed out and the
 * models in version order. Stored as one small JSON file ({@value #FORMAT}, format version
 * {@value #FORMAT_VERSION}), replaced atomically on every change; a file of a newer format, or one
 * that does not parse, is refused by name rather than started over (that would hand out versions
 * again).
 *
 * <pre>
 * {"format": "fwi.model-registry", "formatVersion": 1,
 *  "profiles": {"pi-4b": {"lastVersion": 2, "models": [{"version": 1, "modelId": ..., "blockSizeBytes": 65536,
 *    "createdUnixMs": ..., "description": {"sha256": ..., "sizeBytes": ..., "irVersion": 8, "opset": 17,
 *    "params": ..., "macs": ..., "inputs": [{"name": ..., "elementType": "FLOAT", "dims": [-1, 5, 1000, 70]}],
 *    "outputs": [...], "prune": {...}, "metadata": {...}}, "quality": {...}, "plan": {...}, "baseModel": {...}}]}}}
 * </pre>
 */
record RegistryState(Map<String, Lineage> profiles) {
  static final String FORMAT = "fwi.model-registry";
  static final int FORMAT_VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * One profile's models.
   *
   * @param lastVersion highest version ever handed out in the profile (never reused)
   * @param models in ascending version order
   */
  record Lineage(long lastVersion, List<RegisteredModel> models) {
    Lineage {
      models = List.copyOf(models);
      long prev = 0;
      for (RegisteredModel m : models) {
        if (m.version() <= prev || m.version() > lastVersion) {
          throw new IllegalArgumentException("model versions must increase and stay at or below lastVersion "
              + lastVersion + ", but " + m.version() + " followed " + prev);
        }
        prev = m.version();
      }
    }

    Lineage plus(RegisteredModel m) {
      List<RegisteredModel> l = new ArrayList<>(models);
      l.add(m);
      return new Lineage(m.version(), l);
    }
  }

  RegistryState {
    profiles = Collections.unmodifiableMap(new TreeMap<>(profiles));
  }

  static RegistryState empty() {
    return new RegistryState(Map.of());
  }

  RegistryState plus(RegisteredModel m) {
    Map<String, Lineage> p = new TreeMap<>(profiles);
    p.put(m.profile(), p.getOrDefault(m.profile(), new Lineage(0, List.of())).plus(m));
    return new RegistryState(p);
  }

  /** Reads the state file; an absent file is an empty registry. */
  static RegistryState read(Path file) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return empty();
    }
    try {
      return fromJson(JSON.readTree(bytes));
    } catch (IOException | RuntimeException e) {
      throw new IOException(file + ": registry state cannot be read (" + e.getMessage() + "); refusing to start with "
          + "an empty registry, which would hand out versions again. Restore the file or move it away deliberately.", e);
    }
  }

  void write(Path file) throws IOException {
    DurableFiles.writeAtomically(file, JSON.writeValueAsBytes(toJson()));
  }

  private ObjectNode toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", FORMAT);
    root.put("formatVersion", FORMAT_VERSION);
    ObjectNode ps = root.putObject("profiles");
    profiles.forEach((name, lineage) -> {
      ObjectNode p = ps.putObject(name);
      p.put("lastVersion", lineage.lastVersion());
      ArrayNode models = p.putArray("models");
      lineage.models().forEach(m -> models.add(model(m)));
    });
    return root;
  }

  private static RegistryState fromJson(JsonNode root) {
    String format = root.path("format").asText("");
    if (!format.equals(FORMAT)) {
      throw new IllegalArgumentException("format must be '" + FORMAT + "', but was '" + format + "'");
    }
    int version = root.path("formatVersion").asInt(-1);
    if (version != FORMAT_VERSION) {
      throw new IllegalArgumentException("formatVersion must be " + FORMAT_VERSION + " (this build reads no other), "
          + "but was " + root.path("formatVersion"));
    }
    Map<String, Lineage> profiles = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.path("profiles").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String profile = e.getKey();
      List<RegisteredModel> models = new ArrayList<>();
      for (JsonNode m : e.getValue().path("models")) {
        models.add(model(profile, m));
      }
      profiles.put(profile, new Lineage(longOf(e.getValue(), "lastVersion"), models));
    }
    return new RegistryState(profiles);
  }

  private static ObjectNode model(RegisteredModel m) {
    ObjectNode o = JSON.createObjectNode();
    o.put("version", m.version());
    o.put("modelId", m.modelId());
    o.put("blockSizeBytes", m.blockSizeBytes());
    o.put("createdUnixMs", m.createdUnixMs());
    o.set("description", description(m.description()));
    m.quality().ifPresent(q -> {
      ObjectNode n = o.putObject("quality");
      n.put("maeMPerS", q.getMaeMPerS());
      n.put("rmseMPerS", q.getRmseMPerS());
      n.put("ssim", q.getSsim());
      n.put("evalDatasetId", q.getEvalDatasetId());
      n.put("evalSampleCount", Integer.toUnsignedLong(q.getEvalSampleCount()));
    });
    m.plan().ifPresent(p -> {
      ObjectNode n = o.putObject("plan");
      n.put("jobId", p.getJobId());
      n.put("method", p.getMethod() == PruneMethod.UNRECOGNIZED ? "PRUNE_METHOD_UNSPECIFIED" : p.getMethod().name());
      n.put("channelRatio", p.getChannelRatio());
      ArrayNode layers = n.putArray("layers");
      for (LayerPruning l : p.getLayersList()) {
        layers.addObject().put("layerName", l.getLayerName())
            .put("channelCountBefore", Integer.toUnsignedLong(l.getChannelCountBefore()))
            .put("channelCountAfter", Integer.toUnsignedLong(l.getChannelCountAfter()));
      }
      n.put("predictedLatencyP95Us", p.getPredictedLatencyP95Us());
      n.put("fineTuneEpochs", Integer.toUnsignedLong(p.getFineTuneEpochs()));
      n.put("retrained", p.getRetrained());
    });
    m.baseModel().ifPresent(b -> o.putObject("baseModel").put("modelId", b.getModelId()).put("version", b.getVersion())
        .put("sha256", Sha256.hex(b.getSha256().toByteArray())));
    return o;
  }

  private static RegisteredModel model(String profile, JsonNode o) {
    Optional<QualityMetrics> quality = Optional.empty();
    if (o.has("quality")) {
      JsonNode q = o.get("quality");
      quality = Optional.of(QualityMetrics.newBuilder().setMaeMPerS(q.path("maeMPerS").asDouble())
          .setRmseMPerS(q.path("rmseMPerS").asDouble()).setSsim(q.path("ssim").asDouble())
          .setEvalDatasetId(q.path("evalDatasetId").asText("")).setEvalSampleCount((int) q.path("evalSampleCount").asLong())
          .build());
    }
    Optional<PrunePlanSummary> plan = Optional.empty();
    if (o.has("plan")) {
      JsonNode p = o.get("plan");
      PrunePlanSummary.Builder b = PrunePlanSummary.newBuilder().setJobId(p.path("jobId").asText(""))
          .setMethod(method(p.path("method").asText("")))
          .setChannelRatio(p.path("channelRatio").asDouble())
          .setPredictedLatencyP95Us(p.path("predictedLatencyP95Us").asLong())
          .setFineTuneEpochs((int) p.path("fineTuneEpochs").asLong())
          .setRetrained(p.path("retrained").asBoolean());
      for (JsonNode l : p.path("layers")) {
        b.addLayers(LayerPruning.newBuilder().setLayerName(l.path("layerName").asText(""))
            .setChannelCountBefore((int) l.path("channelCountBefore").asLong())
            .setChannelCountAfter((int) l.path("channelCountAfter").asLong()));
      }
      plan = Optional.of(b.build());
    }
    Optional<ModelRef> base = Optional.empty();
    if (o.has("baseModel")) {
      JsonNode b = o.get("baseModel");
      base = Optional.of(ModelRef.newBuilder().setModelId(b.path("modelId").asText(""))
          .setVersion(b.path("version").asLong())
          .setSha256(ByteString.copyFrom(Sha256.unhex(b.path("sha256").asText("")))).build());
    }
    return new RegisteredModel(profile, longOf(o, "version"), o.path("modelId").asText(""),
        (int) longOf(o, "blockSizeBytes"), longOf(o, "createdUnixMs"), description(o.path("description")), quality,
        plan, base);
  }

  private static ObjectNode description(ModelDescription d) {
    ObjectNode o = JSON.createObjectNode();
    o.put("sha256", d.sha256Hex());
    o.put("sizeBytes", d.sizeBytes());
    o.put("irVersion", d.irVersion());
    o.put("opset", d.opset());
    o.put("params", d.params());
    o.put("macs", d.macs());
    o.set("inputs", tensors(d.inputs()));
    o.set("outputs", tensors(d.outputs()));
    d.prune().ifPresent(p -> o.putObject("prune").put("baseSha256", p.baseSha256Hex()).put("plan", p.planJson())
        .put("criterion", p.criterion()).put("paramsBefore", p.paramsBefore()).put("paramsAfter", p.paramsAfter())
        .put("macsBefore", p.macsBefore()).put("macsAfter", p.macsAfter()));
    ObjectNode md = o.putObject("metadata");
    d.metadata().forEach(md::put);
    return o;
  }

  private static ModelDescription description(JsonNode o) {
    Optional<ModelDescription.PruneInfo> prune = Optional.empty();
    if (o.has("prune")) {
      JsonNode p = o.get("prune");
      prune = Optional.of(new ModelDescription.PruneInfo(p.path("baseSha256").asText(""), p.path("plan").asText(""),
          p.path("criterion").asText(""), longOf(p, "paramsBefore"), longOf(p, "paramsAfter"), longOf(p, "macsBefore"),
          longOf(p, "macsAfter")));
    }
    Map<String, String> md = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = o.path("metadata").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      md.put(e.getKey(), e.getValue().asText());
    }
    return new ModelDescription(o.path("sha256").asText(""), longOf(o, "sizeBytes"), longOf(o, "irVersion"),
        longOf(o, "opset"), tensors(o.path("inputs")), tensors(o.path("outputs")), longOf(o, "params"),
        longOf(o, "macs"), prune, md);
  }

  private static ArrayNode tensors(List<ModelDescription.Tensor> ts) {
    ArrayNode a = JSON.createArrayNode();
    for (ModelDescription.Tensor t : ts) {
      ObjectNode n = a.addObject().put("name", t.name()).put("elementType", t.elementType());
      ArrayNode dims = n.putArray("dims");
      t.dims().forEach(dims::add);
    }
    return a;
  }

  private static List<ModelDescription.Tensor> tensors(JsonNode a) {
    List<ModelDescription.Tensor> ts = new ArrayList<>();
    for (JsonNode n : a) {
      List<Long> dims = new ArrayList<>();
      n.path("dims").forEach(d -> dims.add(d.asLong()));
      ts.add(new ModelDescription.Tensor(n.path("name").asText(""), n.path("elementType").asText(""), dims));
    }
    return ts;
  }

  private static PruneMethod method(String name) {
    try {
      return PruneMethod.valueOf(name);
    } catch (IllegalArgumentException e) {
      return PruneMethod.PRUNE_METHOD_UNSPECIFIED; // a method this build does not know: shown as unspecified
    }
  }

  private static long longOf(JsonNode o, String field) {
    JsonNode n = o.get(field);
    if (n == null || !n.canConvertToLong()) {
      throw new IllegalArgumentException("field '" + field + "' must be an integer, but was " + n);
    }
    return n.asLong();
  }
}
