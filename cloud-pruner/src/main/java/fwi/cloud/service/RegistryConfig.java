package fwi.cloud.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The model registry and its manifest-signing keys ({@code fwi.registry.*}). Keys rotate by adding a
 * new one, making it active, and keeping the old one (or only its public half, under
 * {@code public-keys}) until every device trusts the new one.
 */
@ConfigMapping(prefix = "fwi.registry")
public interface RegistryConfig {
  /** Registry directory; default {@code <fwi.service.state-dir>/registry}. */
  Optional<Path> dir();

  /** OTA block size of newly registered models, bytes (1 KiB to 1 MiB). */
  @WithName("block-size-bytes")
  @WithDefault("65536")
  int blockSizeBytes();

  /** Model ids are {@code <prefix>-<profile>-v<version>}. */
  @WithName("model-id-prefix")
  @WithDefault("inversionnet")
  String modelIdPrefix();

  Signing signing();

  /** Manifest signing. */
  interface Signing {
    /** Id of the key that signs new manifests; required once any key is configured. */
    @WithName("active-key-id")
    Optional<String> activeKeyId();

    /** Private keys by id. */
    Map<String, Key> keys();

    /** Public halves of retired keys by id (base64 of the raw 32 bytes), still listed for verification. */
    @WithName("public-keys")
    Map<String, String> publicKeys();
  }

  /** One Ed25519 private key: a PKCS#8 PEM file, or the base64 of its PKCS#8 DER (never logged). */
  interface Key {
    @WithName("pem-file")
    Optional<Path> pemFile();

    @WithName("pkcs8-base64")
    Optional<String> pkcs8Base64();
  }
}
