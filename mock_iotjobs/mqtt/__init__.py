"""The AWS IoT Jobs device API over MQTT: a real MQTT 3.1.1 / 5 listener on loopback.

Devices (the AWS IoT Device SDK, paho-mqtt, firmware) connect with their thing
name as client id, publish requests on ``$aws/things/<thing>/jobs/...`` and get
``/accepted`` or ``/rejected`` answers plus ``notify`` / ``notify-next``, served
from the same state as both HTTPS planes.  See ``docs/mqtt.md``.

- ``with mqtt_listener(m) as mqtt:`` for the handle ``m`` of ``with mock_iotjobs() as m``;
- ``start_listener(store, host, port)`` (server mode: ``serve --mqtt-port N``);
- the pytest fixture ``iot_jobs_mqtt``.
"""

from .limits import MqttLimits
from .listener import MqttListener, mqtt_listener, start_listener

__all__ = ["MqttLimits", "MqttListener", "mqtt_listener", "start_listener"]
