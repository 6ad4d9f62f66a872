"""Device shadows and the messages of the iot-data plane."""
