package fwi.cloud.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The hand-written OpenAPI document against the code: it parses, its references resolve, and every
 * JAX-RS method of {@code fwi.cloud.service} (the fleet API) and {@code fwi.cloud.web} (the dashboard's
 * data) is in it (the reverse need not hold: it also describes endpoints being written elsewhere).
 */
class OpenApiDocTest {
  private static final List<String> PACKAGES = List.of("fwi.cloud.service", "fwi.cloud.web");
  private static final Set<String> VERBS = Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");
  private static final Pattern TEMPLATE = Pattern.compile("\\{([^}:]+)(?::[^}]*)?}");
  private static JsonNode doc;

  @BeforeAll
  static void parse() throws IOException {
    try (InputStream in = OpenApiDocTest.class.getResourceAsStream(OpenApiResource.DOCUMENT)) {
      assertTrue(in != null, OpenApiResource.DOCUMENT + " is not on the class path");
      doc = new ObjectMapper(new YAMLFactory()).readTree(in);
    }
  }

  /** One JAX-RS endpoint of the code: lower-case verb and full path, templates without regexes. */
  private record Endpoint(String verb, String path, String method) {
    @Override
    public String toString() {
      return verb.toUpperCase() + " " + path + " (" + method + ")";
    }
  }

  @Test
  void isAnOpenApi3DocumentWithPaths() {
    assertTrue(doc.path("openapi").asText().startsWith("3.0."), () -> "openapi: " + doc.path("openapi"));
    assertFalse(doc.path("info").path("title").asText().isEmpty());
    assertTrue(doc.path("paths").isObject() && doc.path("paths").size() > 0);
  }

  @Test
  void documentsEveryJaxRsMethodOfTheServicePackage() throws Exception {
    List<Endpoint> endpoints = endpoints();
    assertTrue(endpoints.size() >= 8, () -> "found only " + endpoints + " in " + PACKAGES);
    List<String> missing = new ArrayList<>();
    for (Endpoint e : endpoints) {
      if (!doc.path("paths").path(e.path()).has(e.verb())) {
        missing.add(e.toString());
      }
    }
    assertEquals(List.of(), missing, "endpoints in the code but not in " + OpenApiResource.DOCUMENT);
  }

  @Test
  void declaresEveryPathTemplateAsAPathParameter() {
    List<String> problems = new ArrayList<>();
    doc.path("paths").fields().forEachRemaining(p -> {
      Set<String> templates = new TreeSet<>();
      Matcher m = TEMPLATE.matcher(p.getKey());
      while (m.find()) {
        templates.add(m.group(1));
      }
      p.getValue().fields().forEachRemaining(op -> {
        if (!VERBS.contains(op.getKey())) {
          return;
        }
        Set<String> declared = new TreeSet<>();
        for (JsonNode param : op.getValue().path("parameters")) {
          JsonNode resolved = resolve(param);
          if (resolved.path("in").asText().equals("path")) {
            declared.add(resolved.path("name").asText());
            if (!resolved.path("required").asBoolean()) {
              problems.add(op.getKey() + " " + p.getKey() + ": path parameter " + resolved.path("name") + " not required");
            }
          }
        }
        if (!declared.equals(templates)) {
          problems.add(op.getKey() + " " + p.getKey() + ": templates " + templates + ", path parameters " + declared);
        }
      });
    });
    assertEquals(List.of(), problems);
  }

  @Test
  void resolvesEveryReference() {
    List<String> dangling = new ArrayList<>();
    walk(doc, "", (where, node) -> {
      JsonNode ref = node.get("$ref");
      if (ref != null && resolvePointer(ref.asText()).isMissingNode()) {
        dangling.add(where + ": " + ref.asText());
      }
    });
    assertEquals(List.of(), dangling);
  }

  @Test
  void asksForTheBearerTokenAndDocuments401And403OnEveryCallThatChangesSomething() {
    assertEquals("bearer", doc.path("components").path("securitySchemes").path("bearerAuth").path("scheme").asText());
    List<String> problems = new ArrayList<>();
    doc.path("paths").fields().forEachRemaining(p -> p.getValue().fields().forEachRemaining(op -> {
      if (!VERBS.contains(op.getKey()) || op.getKey().equals("get") || op.getKey().equals("head")) {
        return;
      }
      String where = op.getKey().toUpperCase() + " " + p.getKey();
      JsonNode security = op.getValue().path("security");
      if (!security.isArray() || security.size() != 1 || !security.get(0).has("bearerAuth")) {
        problems.add(where + ": security " + security);
      }
      for (String status : List.of("401", "403", "503")) {
        if (!op.getValue().path("responses").has(status)) {
          problems.add(where + ": no " + status + " response");
        }
      }
    }));
    assertEquals(List.of(), problems);
  }

  @Test
  void servesTheDocumentAsYamlByteForByte() throws IOException {
    byte[] file;
    try (InputStream in = OpenApiDocTest.class.getResourceAsStream(OpenApiResource.DOCUMENT)) {
      file = in.readAllBytes();
    }
    OpenApiResource resource = new OpenApiResource();
    for (String accept : new String[] {null, "*/*", "application/yaml", "text/html, application/json;q=0.9, */*;q=0.8"}) {
      Response r = resource.document(null, accept);
      assertEquals(200, r.getStatus(), "Accept " + accept);
      assertEquals("application/yaml;charset=UTF-8", r.getMetadata().getFirst("Content-Type").toString());
      assertArrayEquals(file, (byte[]) r.getEntity());
    }
    assertEquals(200, resource.document("yaml", "application/json").getStatus());
  }

  @Test
  void refusesJsonWith406NamingWhatWasAskedFor() {
    OpenApiResource resource = new OpenApiResource();
    WebApplicationException byFormat = assertThrows(WebApplicationException.class,
        () -> resource.document("json", null));
    assertEquals(406, byFormat.getResponse().getStatus());
    assertEquals(Map.of("error", "the OpenAPI document is served as application/yaml only (no YAML-to-JSON "
        + "converter in this build), but format was 'json'"), byFormat.getResponse().getEntity());
    WebApplicationException byAccept = assertThrows(WebApplicationException.class,
        () -> resource.document(null, "application/json, */*;q=0"));
    assertEquals(406, byAccept.getResponse().getStatus());
    assertEquals(Map.of("error", "the OpenAPI document is served as application/yaml only (no YAML-to-JSON "
        + "converter in this build), but Accept was 'application/json, */*;q=0'"), byAccept.getResponse().getEntity());
    WebApplicationException bad = assertThrows(WebApplicationException.class, () -> resource.document("xml", null));
    assertEquals(400, bad.getResponse().getStatus());
    assertEquals(Map.of("error", "format must be yaml or json, but was 'xml'"), bad.getResponse().getEntity());
  }

  /** Every method of a {@code @Path} class of the packages that carries an HTTP method annotation. */
  private static List<Endpoint> endpoints() throws Exception {
    List<Endpoint> out = new ArrayList<>();
    List<Class<?>> classes = new ArrayList<>();
    for (String p : PACKAGES) {
      classes.addAll(classesOfPackage(p));
    }
    for (Class<?> c : classes) {
      Path root = c.getAnnotation(Path.class);
      if (root == null) {
        continue;
      }
      for (Method m : c.getDeclaredMethods()) {
        String verb = null;
        for (Annotation a : m.getAnnotations()) {
          HttpMethod h = a.annotationType().getAnnotation(HttpMethod.class);
          if (h != null) {
            verb = h.value().toLowerCase();
          }
        }
        Path sub = m.getAnnotation(Path.class);
        if (verb == null) {
          assertTrue(sub == null, () -> "sub-resource locator " + m + " is not supported by this check");
          continue;
        }
        out.add(new Endpoint(verb, join(root.value(), sub == null ? "" : sub.value()),
            c.getSimpleName() + "." + m.getName()));
      }
    }
    return out;
  }

  /** {@code /api} + {@code /devices/{id: [a-z]+}} = {@code /api/devices/{id}}. */
  static String join(String root, String sub) {
    String p = ("/" + root + "/" + sub).replaceAll("/+", "/");
    if (p.length() > 1 && p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    return TEMPLATE.matcher(p).replaceAll(m -> "{" + Matcher.quoteReplacement(m.group(1).trim()) + "}");
  }

  @Test
  void joinsPathsAsJaxRsDoes() {
    assertEquals("/api/devices/{id}", join("/api", "/devices/{id}"));
    assertEquals("/api/devices/{id}", join("api/", "devices/{ id : [a-z]+}"));
    assertEquals("/q/openapi", join("/q/openapi", ""));
  }

  /** The classes of {@code pkg}, from a directory (tests) or a jar on the class path. */
  private static List<Class<?>> classesOfPackage(String pkg)
      throws IOException, URISyntaxException, ClassNotFoundException {
    String dir = pkg.replace('.', '/');
    Set<String> names = new TreeSet<>();
    Enumeration<URL> roots = OpenApiDocTest.class.getClassLoader().getResources(dir);
    while (roots.hasMoreElements()) {
      URL url = roots.nextElement();
      if (url.getProtocol().equals("file")) {
        try (Stream<java.nio.file.Path> files = Files.list(java.nio.file.Path.of(url.toURI()))) {
          files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".class"))
              .forEach(n -> names.add(pkg + "." + n.substring(0, n.length() - ".class".length())));
        }
      } else if (url.getProtocol().equals("jar")) {
        try (JarFile jar = ((JarURLConnection) url.openConnection()).getJarFile()) {
          for (Iterator<JarEntry> it = jar.entries().asIterator(); it.hasNext(); ) {
            String n = it.next().getName();
            if (n.startsWith(dir + "/") && n.endsWith(".class") && n.indexOf('/', dir.length() + 1) < 0) {
              names.add(n.substring(0, n.length() - ".class".length()).replace('/', '.'));
            }
          }
        }
      }
    }
    List<Class<?>> classes = new ArrayList<>();
    for (String n : names) {
      if (!n.split("\\$")[0].endsWith("Test")) { // this package's tests are on the class path too
        classes.add(Class.forName(n, false, OpenApiDocTest.class.getClassLoader()));
      }
    }
    return classes;
  }

  private static JsonNode resolve(JsonNode node) {
    return node.has("$ref") ? resolvePointer(node.get("$ref").asText()) : node;
  }

  /** A local reference {@code #/components/...}; missing for anything else. */
  private static JsonNode resolvePointer(String ref) {
    return ref.startsWith("#/") ? doc.at(ref.substring(1)) : com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }

  private interface Visitor {
    void visit(String where, JsonNode node);
  }

  private static void walk(JsonNode node, String where, Visitor v) {
    if (node.isObject()) {
      v.visit(where, node);
      node.fields().forEachRemaining(f -> walk(f.getValue(), where + "/" + f.getKey(), v));
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        walk(node.get(i), where + "/" + i, v);
      }
    }
  }
}
