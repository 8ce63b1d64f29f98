package fwi.cloud.service;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;

/**
 * {@code GET /q/openapi}: the fleet API's OpenAPI 3.0 document, written by hand in
 * {@value #DOCUMENT} on the class path ({@code quarkus-smallrye-openapi} is not on the Maven mirror
 * this project builds from), served byte for byte as {@code application/yaml}.
 *
 * <p>YAML only: the application has no YAML parser on its runtime class path to convert the document
 * to JSON, so {@code ?format=json}, or an {@code Accept} header that admits neither YAML nor plain
 * text nor a wildcard (e.g. only {@code application/json}), answers 406 with a JSON error naming what
 * was asked for. Any other {@code format} value answers 400.
 *
 * <p>Thread-safe: the document is read once, at construction, and never changes.
 */
@Path("/q/openapi")
public class OpenApiResource {
  /** Class-path location of the document. */
  static final String DOCUMENT = "/openapi/fleet-api.yaml";
  /** Media type of the answer (RFC 9512). */
  static final String APPLICATION_YAML = "application/yaml";
  /** Accept entries (media types without parameters) the YAML answer satisfies. */
  private static final Set<String> SERVES_YAML = Set.of(APPLICATION_YAML, "application/x-yaml", "text/yaml",
      "text/x-yaml", "text/plain", "application/*", "text/*", "*/*", "*");

  private final byte[] yaml;

  /**
   * Reads the document from the class path.
   *
   * @throws IllegalStateException if {@value #DOCUMENT} is missing from the class path
   */
  public OpenApiResource() {
    try (InputStream in = OpenApiResource.class.getResourceAsStream(DOCUMENT)) {
      if (in == null) {
        throw new IllegalStateException("the OpenAPI document " + DOCUMENT + " is missing from the class path");
      }
      yaml = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the OpenAPI document " + DOCUMENT, e);
    }
  }

  /**
   * The document as YAML.
   *
   * @param format {@code yaml} (default when absent) or {@code json} (refused with 406)
   * @param accept the request's {@code Accept} header, absent for "anything"
   */
  @GET
  public Response document(@QueryParam("format") String format, @HeaderParam(HttpHeaders.ACCEPT) String accept) {
    if (format != null && !format.equalsIgnoreCase("yaml")) {
      if (format.equalsIgnoreCase("json")) {
        throw ApiToken.fail(406, "the OpenAPI document is served as " + APPLICATION_YAML
            + " only (no YAML-to-JSON converter in this build), but format was 'json'");
      }
      throw ApiToken.fail(400, "format must be yaml or json, but was '" + format + "'");
    }
    if (format == null && !acceptsYaml(accept)) {
      throw ApiToken.fail(406, "the OpenAPI document is served as " + APPLICATION_YAML
          + " only (no YAML-to-JSON converter in this build), but Accept was '" + accept + "'");
    }
    return Response.ok(yaml, APPLICATION_YAML + ";charset=UTF-8").build();
  }

  /** Whether an {@code Accept} header admits the YAML answer: absent, or one entry with q > 0 that YAML satisfies. */
  static boolean acceptsYaml(String accept) {
    if (accept == null || accept.isBlank()) {
      return true;
    }
    return Arrays.stream(accept.split(",")).map(String::trim).anyMatch(entry -> {
      String[] parts = entry.split(";");
      String type = parts[0].trim().toLowerCase(Locale.ROOT);
      boolean refused = Arrays.stream(parts).skip(1).map(String::trim)
          .anyMatch(p -> p.replace(" ", "").matches("q=0(\\.0{0,3})?"));
      return !refused && SERVES_YAML.contains(type);
    });
  }

  /** The document's bytes (UTF-8 YAML), as served. */
  byte[] yaml() {
    return yaml.clone();
  }
}
