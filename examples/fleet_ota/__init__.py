"""A fleet firmware (OTA) rollout built on AWS IoT Jobs: the cloud service
(:mod:`fleet_ota.rollout`), the device agent (:mod:`fleet_ota.agent`) and a
simulated fleet to run them against mock_iotjobs (:mod:`fleet_ota.simulator`)."""
