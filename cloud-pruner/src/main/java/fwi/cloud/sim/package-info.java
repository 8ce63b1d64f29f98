/**
 * A simulated fleet for load tests of the broker, the bridge and everything behind them
 * ({@code pruner fleet-sim}): many devices, each with its own MQTT 5 connection, publishing what an
 * edge agent publishes (retained Birth, Death as will, Telemetry, InferenceResult with a float16
 * velocity map) under its own {@code fwi/v1/dev/{deviceId}/} subtree, and measuring the broker's
 * acknowledgements.
 */
package fwi.cloud.sim;
