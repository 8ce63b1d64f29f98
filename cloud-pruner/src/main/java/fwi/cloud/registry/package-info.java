/**
 * The model registry: ONNX files by content ({@link fwi.cloud.registry.ModelStore}), what each file
 * is ({@link fwi.cloud.registry.ModelDescription}), per-profile version lineages
 * ({@link fwi.cloud.registry.ModelRegistry}), and Ed25519-signed manifests devices accept
 * ({@link fwi.cloud.registry.ManifestSigner}, {@link fwi.cloud.registry.SigningKeys}). Plain Java,
 * constructible without CDI.
 */
package fwi.cloud.registry;
