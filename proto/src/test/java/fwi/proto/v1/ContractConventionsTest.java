package fwi.proto.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Message;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The house rules of the fwi.v1 contracts, checked over every file, message, field and enum. */
class ContractConventionsTest {

  private static final List<FileDescriptor> FILES = List.of(
      CommonProto.getDescriptor(),
      TelemetryProto.getDescriptor(),
      InferenceResultProto.getDescriptor(),
      HardwareProfileProto.getDescriptor(),
      LifecycleProto.getDescriptor(),
      PruneJobProto.getDescriptor(),
      ModelManifestProto.getDescriptor(),
      OtaBlockProto.getDescriptor(),
      OtaStatusProto.getDescriptor(),
      EventsProto.getDescriptor());

  /** Messages that travel on their own (MQTT payload, Kafka value, signed bytes, catalogue). */
  private static final Set<Descriptor> STANDALONE = Set.of(
      Telemetry.getDescriptor(),
      InferenceResult.getDescriptor(),
      Birth.getDescriptor(),
      Death.getDescriptor(),
      SignedManifest.getDescriptor(),
      ManifestBody.getDescriptor(),
      BlockRequest.getDescriptor(),
      BlockResponse.getDescriptor(),
      OtaStatus.getDescriptor(),
      HardwareProfile.getDescriptor(),
      PruneJob.getDescriptor(),
      PruneJobReport.getDescriptor(),
      DeviceEvent.getDescriptor(),
      JobEvent.getDescriptor());

  private static final Set<String> JAVA_KEYWORDS = Set.of(
      "abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class", "const",
      "continue", "default", "do", "double", "else", "enum", "extends", "final", "finally",
      "float", "for", "goto", "if", "implements", "import", "instanceof", "int", "interface",
      "long", "native", "new", "package", "private", "protected", "public", "return", "short",
      "static", "strictfp", "super", "switch", "synchronized", "this", "throw", "throws",
      "transient", "try", "void", "volatile", "while", "true", "false", "null", "var", "record",
      "yield", "sealed", "permits");

  /** Name endings that state the unit of a numeric field. */
  private static final List<String> UNIT_SUFFIXES = List.of(
      "_us", "_ms", "_s", "_bytes", "_mdeg_c", "_count", "_ratio", "_percent", "_epochs",
      "_opset", "_version", "_seq", "_index", "_cores", "macs");

  /** Numeric fields that are identifiers or unitless by nature. */
  private static final Set<String> UNITLESS = Set.of(
      "sequence", "version", "ssim", "shape", "dims", "random_seed");

  private static Stream<Descriptor> messages() {
    Deque<Descriptor> pending = new ArrayDeque<>();
    FILES.forEach(file -> pending.addAll(file.getMessageTypes()));
    Stream.Builder<Descriptor> all = Stream.builder();
    while (!pending.isEmpty()) {
      Descriptor message = pending.pop();
      all.add(message);
      pending.addAll(message.getNestedTypes());
    }
    return all.build();
  }

  private static Stream<EnumDescriptor> enums() {
    return Stream.concat(
        FILES.stream().flatMap(file -> file.getEnumTypes().stream()),
        messages().flatMap(message -> message.getEnumTypes().stream()));
  }

  private static Stream<String> messageNames() {
    return messages().map(Descriptor::getFullName);
  }

  private static Stream<String> enumNames() {
    return enums().map(EnumDescriptor::getFullName);
  }

  private static Descriptor message(String fullName) {
    return messages().filter(m -> m.getFullName().equals(fullName)).findFirst().orElseThrow();
  }

  private static EnumDescriptor enumType(String fullName) {
    return enums().filter(e -> e.getFullName().equals(fullName)).findFirst().orElseThrow();
  }

  @Test
  void checksEveryProtoFileUnderFwiV1() throws IOException {
    Path root = Path.of("src", "main", "proto");
    Set<String> onDisk;
    try (Stream<Path> paths = Files.list(root.resolve("fwi").resolve("v1"))) {
      onDisk = paths
          .filter(path -> path.toString().endsWith(".proto"))
          .map(path -> root.relativize(path).toString().replace('\\', '/'))
          .collect(Collectors.toCollection(TreeSet::new));
    }
    Set<String> checked =
        FILES.stream().map(FileDescriptor::getName).collect(Collectors.toCollection(TreeSet::new));
    assertEquals(onDisk, checked);
  }

  @Test
  void usesOnePackageAndJavaPackageForEveryFile() {
    for (FileDescriptor file : FILES) {
      assertEquals("fwi.v1", file.getPackage(), file.getName());
      assertEquals("fwi.proto.v1", file.getOptions().getJavaPackage(), file.getName());
      assertTrue(file.getOptions().getJavaMultipleFiles(), file.getName());
      assertEquals("proto3", file.toProto().getSyntax(), file.getName());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("enumNames")
  void startsEveryEnumWithUnspecifiedAtZero(String enumName) {
    EnumDescriptor type = enumType(enumName);
    EnumValueDescriptor zero = type.findValueByNumber(0);
    assertEquals(upperSnake(type.getName()) + "_UNSPECIFIED", zero == null ? null : zero.getName());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("enumNames")
  void prefixesEveryEnumValueWithItsEnumName(String enumName) {
    EnumDescriptor type = enumType(enumName);
    String prefix = upperSnake(type.getName()) + "_";
    for (EnumValueDescriptor value : type.getValues()) {
      assertTrue(value.getName().startsWith(prefix), value.getName() + " lacks prefix " + prefix);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("messageNames")
  void namesNoFieldWithAJavaKeyword(String messageName) {
    for (FieldDescriptor field : message(messageName).getFields()) {
      assertFalse(JAVA_KEYWORDS.contains(field.getName()), messageName + "." + field.getName());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("messageNames")
  void namesTheUnitOfEveryNumericField(String messageName) {
    for (FieldDescriptor field : message(messageName).getFields()) {
      boolean numeric = switch (field.getJavaType()) {
        case INT, LONG, FLOAT, DOUBLE -> true;
        default -> false;
      };
      if (!numeric || UNITLESS.contains(field.getName())) {
        continue;
      }
      String name = field.getName().replaceFirst("_(before|after)$", "");
      assertTrue(
          UNIT_SUFFIXES.stream().anyMatch(name::endsWith),
          messageName + "." + field.getName() + " does not name its unit");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("messageNames")
  void carriesASchemaVersionInEveryStandaloneMessage(String messageName) {
    Descriptor type = message(messageName);
    if (!STANDALONE.contains(type)) {
      return;
    }
    FieldDescriptor first = type.findFieldByNumber(1);
    boolean header = first != null
        && first.getName().equals("header")
        && first.getJavaType() == FieldDescriptor.JavaType.MESSAGE
        && first.getMessageType().equals(Header.getDescriptor());
    boolean version = first != null
        && first.getName().equals("schema_version")
        && first.getType() == FieldDescriptor.Type.UINT32;
    assertTrue(header || version, messageName + " field 1 is neither header nor schema_version");
  }

  @Test
  void listsEveryMessageNoOtherMessageEmbedsAsStandalone() {
    Set<Descriptor> embedded = new HashSet<>();
    messages().forEach(m -> m.getFields().stream()
        .filter(f -> f.getJavaType() == FieldDescriptor.JavaType.MESSAGE)
        .forEach(f -> embedded.add(f.getMessageType())));
    Set<String> roots = messages()
        .filter(m -> !embedded.contains(m))
        .filter(m -> !STANDALONE.contains(m))
        .map(Descriptor::getFullName)
        .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(Set.of(), roots);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("messageNames")
  void roundTripsEveryMessageTypeWithEveryFieldSet(String messageName) throws Exception {
    Descriptor type = message(messageName);
    List<Message> instances = Fixtures.all().stream()
        .filter(m -> m.getDescriptorForType().equals(type))
        .toList();
    assertFalse(instances.isEmpty(), "Fixtures has no " + messageName);

    Map<String, Boolean> setSomewhere = new LinkedHashMap<>();
    type.getFields().forEach(f -> setSomewhere.put(f.getName(), false));
    for (Message instance : instances) {
      for (FieldDescriptor field : type.getFields()) {
        boolean set = field.isRepeated()
            ? instance.getRepeatedFieldCount(field) > 0
            : instance.hasField(field);
        if (set) {
          setSomewhere.put(field.getName(), true);
        }
      }
      assertEquals(instance, WireAssertions.roundTrip(instance));
    }
    Set<String> neverSet = setSomewhere.entrySet().stream()
        .filter(e -> !e.getValue())
        .map(Map.Entry::getKey)
        .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(Set.of(), neverSet, messageName + " fields left at their default in Fixtures");
  }

  private static String upperSnake(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(java.util.Locale.ROOT);
  }
}
