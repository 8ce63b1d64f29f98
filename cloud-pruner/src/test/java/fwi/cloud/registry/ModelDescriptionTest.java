package fwi.cloud.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import fwi.cloud.graph.ModelCounter;
import fwi.cloud.graph.ModelSummary;
import fwi.cloud.model.InvalidModelException;
import fwi.cloud.model.InversionNet;
import fwi.cloud.model.InversionNetConfig;
import fwi.cloud.model.OnnxModels;
import fwi.cloud.prune.PruneMetadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelDescriptionTest {
  @TempDir
  Path dir;

  @Test
  void describesInversionNetsInterfaceOpsetAndCostsAsTheCounterDoes() throws Exception {
    ModelProto m = InversionNet.build(InversionNetConfig.defaults().withWidth(0.05));
    byte[] bytes = m.toByteArray();
    ModelSummary counted = ModelCounter.count(m);

    ModelDescription d = ModelDescription.of(bytes, "w005.onnx");

    assertEquals(OnnxModels.sha256(bytes), d.sha256Hex());
    assertEquals(bytes.length, d.sizeBytes());
    assertEquals(8, d.irVersion());
    assertEquals(17, d.opset());
    assertEquals(List.of(new ModelDescription.Tensor("gathers", "FLOAT", List.of(-1L, 5L, 1000L, 70L))), d.inputs());
    assertEquals(List.of(new ModelDescription.Tensor("velocity", "FLOAT", List.of(-1L, 1L, 70L, 70L))), d.outputs());
    assertEquals(counted.params(), d.params());
    assertEquals(counted.macs(), d.macs());
    assertTrue(d.prune().isEmpty());
    assertEquals("InversionNet", d.metadata().get("fwi.model.name"));
  }

  @Test
  void readsThePruningRecordOfAPrunedModel() throws Exception {
    byte[] base = InversionNet.build(InversionNetConfig.defaults().withWidth(0.1)).toByteArray();
    ModelProto pruned = Pruning.uniform(base, 0.5);

    ModelDescription d = ModelDescription.of(pruned.toByteArray(), "pruned.onnx");

    ModelDescription.PruneInfo p = d.prune().orElseThrow();
    assertEquals(OnnxModels.sha256(base), p.baseSha256Hex());
    assertEquals("l1", p.criterion());
    assertEquals(ModelCounter.count(OnnxModels.parse(base, "base")).params(), p.paramsBefore());
    assertEquals(d.params(), p.paramsAfter());
    assertEquals(d.macs(), p.macsAfter());
    assertTrue(p.planJson().startsWith("{\"kind\":\"uniform\""), p.planJson());
  }

  @Test
  void describesAFileOnDisk() throws Exception {
    byte[] bytes = InversionNet.build(InversionNetConfig.defaults().withWidth(0.05)).toByteArray();
    Path f = Files.write(dir.resolve("m.onnx"), bytes);

    assertEquals(ModelDescription.of(bytes, "x"), ModelDescription.of(f));
  }

  @Test
  void refusesBytesThatAreNotOnnxNamingTheSource() {
    InvalidModelException e = assertThrows(InvalidModelException.class,
        () -> ModelDescription.of(new byte[] {1, 2, 3}, "junk.onnx"));

    assertTrue(e.getMessage().startsWith("junk.onnx: "), e.getMessage());
  }

  @Test
  void refusesAPruningRecordWithAnUnreadableCountNamingKeyAndValue() throws Exception {
    ModelProto pruned = Pruning.uniform(InversionNet.build(InversionNetConfig.defaults().withWidth(0.1)).toByteArray(),
        0.25);
    ModelProto broken = OnnxModels.withMetadata(pruned, PruneMetadata.MACS_AFTER, "many");

    InvalidModelException e = assertThrows(InvalidModelException.class,
        () -> ModelDescription.of(broken.toByteArray(), "broken.onnx"));

    assertEquals("broken.onnx: metadata fwi.prune.macs_after must be a count of at least 0, but was 'many'",
        e.getMessage());
  }

  @Test
  void refusesAModelWithoutADefaultDomainOpset() throws Exception {
    ModelProto m = InversionNet.build(InversionNetConfig.defaults().withWidth(0.05));
    ModelProto noOpset = m.toBuilder().clearOpsetImport()
        .addOpsetImport(ai.onnx.proto.OnnxMl.OperatorSetIdProto.newBuilder().setDomain("com.example").setVersion(1))
        .build();

    InvalidModelException e = assertThrows(InvalidModelException.class,
        () -> ModelDescription.of(noOpset.toByteArray(), "odd.onnx"));

    assertEquals("odd.onnx: opset_import must name the default domain, but names only ['com.example']", e.getMessage());
  }
}
