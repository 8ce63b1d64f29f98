package fwi.cloud.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import fwi.cloud.bridge.KafkaTopics;
import fwi.cloud.service.BridgeConfig;
import fwi.cloud.service.CompressionConfig;
import fwi.cloud.service.OtaServingConfig;
import fwi.cloud.service.RegistryConfig;
import fwi.cloud.service.RolloutConfig;
import fwi.cloud.service.ServiceConfig;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithName;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The deployment files under deploy/ agree with the code: Kubernetes manifests parse, their Kafka topics
 * are the bridge's, every {@code FWI_*} variable names a real setting and the example environment file
 * lists every setting, and the broker configuration in Kubernetes is the one BrokerAclTest runs.
 */
class DeployAssetsTest {
  private static final Path DEPLOY = Path.of("..", "deploy");
  private static final List<Class<?>> SERVICE_CONFIGS = List.of(ServiceConfig.class, BridgeConfig.class,
      RegistryConfig.class, OtaServingConfig.class, RolloutConfig.class, CompressionConfig.class);
  /** Variables the systemd unit and the manifests turn into map-keyed settings themselves. */
  private static final Set<String> LAUNCHER_VARIABLES = Set.of("FWI_SIGNING_KEY_ID", "FWI_SIGNING_KEY_PEM");
  private static final Pattern ENV_LINE = Pattern.compile("^#?(FWI_[A-Z0-9_]+)=", Pattern.MULTILINE);

  private static List<JsonNode> documents(Path file) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (MappingIterator<JsonNode> it = new ObjectMapper(new YAMLFactory()).readerFor(JsonNode.class)
        .readValues(file.toFile())) {
      while (it.hasNext()) {
        JsonNode d = it.next();
        if (d != null && !d.isNull() && !d.isMissingNode()) {
          docs.add(d);
        }
      }
    }
    return docs;
  }

  private static List<JsonNode> allManifests() throws IOException {
    List<JsonNode> all = new ArrayList<>();
    try (Stream<Path> files = Files.list(DEPLOY.resolve("k8s"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        all.addAll(documents(f));
      }
    }
    return all;
  }

  private static List<JsonNode> ofKind(String kind) throws IOException {
    return allManifests().stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
  }

  private static JsonNode named(String kind, String name) throws IOException {
    return ofKind(kind).stream().filter(d -> d.at("/metadata/name").asText().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in deploy/k8s"));
  }

  @Test
  void everyKubernetesManifestParsesAndNamesItsKindAndNamespace() throws IOException {
    List<JsonNode> docs = allManifests();
    assertEquals(21, docs.size(), "documents in deploy/k8s/*.yaml");
    for (JsonNode d : docs) {
      String what = d.path("kind").asText() + " " + d.at("/metadata/name").asText();
      assertFalse(d.path("apiVersion").asText().isEmpty(), what + " has no apiVersion");
      assertFalse(d.at("/metadata/name").asText().isEmpty(), "a document without metadata.name: " + d);
      if (!d.path("kind").asText().equals("Namespace")) {
        assertEquals("fwi", d.at("/metadata/namespace").asText(), what + " namespace");
      }
    }
  }

  @Test
  void kafkaTopicsAreTheBridgesSixWithOnlyModelsCompacted() throws IOException {
    Map<String, JsonNode> topics = new TreeMap<>();
    for (JsonNode t : ofKind("KafkaTopic")) {
      topics.put(t.at("/metadata/name").asText(), t);
      assertEquals("fwi", t.at("/metadata/labels/strimzi.io~1cluster").asText(), "cluster of " + t.at("/metadata/name"));
      assertEquals(3, t.at("/spec/replicas").asInt(), "replicas of " + t.at("/metadata/name"));
    }
    assertEquals(new TreeSet<>(List.of(KafkaTopics.TELEMETRY, KafkaTopics.RESULTS, KafkaTopics.DEVICE_EVENTS,
        KafkaTopics.MODELS, KafkaTopics.JOBS, KafkaTopics.DEAD_LETTER)), topics.keySet());
    topics.forEach((name, t) -> assertEquals(name.equals(KafkaTopics.MODELS) ? "compact" : "",
        t.at("/spec/config/cleanup.policy").asText(), "cleanup.policy of " + name));
  }

  @Test
  void mosquittoConfigMapCarriesTheRepositorysAclUnchanged() throws IOException {
    JsonNode cm = named("ConfigMap", "fwi-mosquitto");
    assertEquals(Files.readString(DEPLOY.resolve("mosquitto/acl"), StandardCharsets.UTF_8), cm.at("/data/acl").asText());
  }

  @Test
  void mosquittoConfigMapDiffersFromTheHostConfigurationOnlyInPathsListenersAndLogging() throws IOException {
    Set<String> local = Set.of("password_file", "acl_file", "cafile", "certfile", "keyfile", "persistence_location",
        "pid_file", "log_dest", "listener", "max_connections");
    List<String> host = settings(Files.readString(DEPLOY.resolve("mosquitto/mosquitto.conf")), local);
    List<String> pod = settings(named("ConfigMap", "fwi-mosquitto").at("/data/mosquitto.conf").asText(), local);
    assertEquals(host, pod);
    assertTrue(host.contains("allow_anonymous false") && host.contains("set_tcp_nodelay true")
        && host.contains("use_username_as_clientid true") && host.contains("tls_version tlsv1.2"), "settings: " + host);
    assertTrue(host.contains("max_queued_messages 1000000"), "never 0 (mosquitto 2.0.11), but settings are " + host);
  }

  private static List<String> settings(String conf, Set<String> except) {
    return conf.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#"))
        .filter(l -> !except.contains(l.split("\\s+")[0])).collect(Collectors.toList());
  }

  @Test
  void exampleEnvironmentFileListsEverySettingOfTheServiceAndNothingElse() throws IOException {
    Set<String> listed = new TreeSet<>();
    Matcher m = ENV_LINE.matcher(Files.readString(DEPLOY.resolve("systemd/cloud.env")));
    while (m.find()) {
      listed.add(m.group(1));
    }
    listed.removeAll(LAUNCHER_VARIABLES);
    assertEquals(settingVariables(), listed);
  }

  @Test
  void everyFwiVariableOfTheKubernetesManifestsIsASetting() throws IOException {
    Set<String> known = new TreeSet<>(settingVariables());
    known.addAll(LAUNCHER_VARIABLES);
    Set<String> used = new TreeSet<>();
    for (JsonNode d : allManifests()) {
      d.path("data").fieldNames().forEachRemaining(used::add);
      for (JsonNode c : d.at("/spec/template/spec/containers")) {
        c.path("env").forEach(e -> used.add(e.path("name").asText()));
      }
    }
    used.removeIf(v -> !v.startsWith("FWI_"));
    assertTrue(used.size() >= 10, "FWI_ variables found: " + used);
    used.removeAll(known);
    assertEquals(Set.of(), used, "variables that name no fwi.* setting");
  }

  @Test
  void systemdUnitRunsServeWithTheHttpServerAndTheEnvironmentFile() throws IOException {
    String unit = Files.readString(DEPLOY.resolve("systemd/fwi-cloud-pruner.service"));
    assertTrue(unit.contains("EnvironmentFile=/etc/fwi-cloud/cloud.env"), unit);
    assertTrue(unit.contains("-Dquarkus.http.host-enabled=true"), unit);
    assertTrue(unit.contains("quarkus-run.jar serve'"), unit);
    assertTrue(unit.contains("User=fwi") && unit.contains("ProtectSystem=strict")
        && unit.contains("ReadWritePaths=/var/lib/fwi-cloud"), unit);
  }

  /** The environment-variable names of every scalar {@code fwi.*} setting of the fleet service. */
  static Set<String> settingVariables() {
    Set<String> keys = new TreeSet<>();
    for (Class<?> c : SERVICE_CONFIGS) {
      collect(c, c.getAnnotation(ConfigMapping.class).prefix(), keys);
    }
    return keys.stream().map(k -> k.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(java.util.Locale.ROOT))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static void collect(Class<?> mapping, String prefix, Set<String> keys) {
    for (Method m : mapping.getDeclaredMethods()) {
      if (m.isDefault() || Modifier.isStatic(m.getModifiers()) || m.isSynthetic() || m.getParameterCount() > 0) {
        continue;
      }
      WithName n = m.getAnnotation(WithName.class);
      String key = prefix + "." + (n != null ? n.value() : kebab(m.getName()));
      Class<?> type = m.getReturnType();
      if (Map.class.isAssignableFrom(type)) {
        continue; // map-keyed: application.properties or -D, not an environment variable
      }
      if (type.isInterface() && type.getEnclosingClass() != null && !type.getName().startsWith("java.")) {
        collect(type, key, keys);
      } else {
        keys.add(key);
      }
    }
  }

  private static String kebab(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
  }
}
