package io.pollster.system;

import java.net.InetAddress;
import java.util.UUID;

import org.springframework.stereotype.Component;

/** This process's name in leases, logs and the cluster view: host, pid and a random suffix. */
@Component
public class NodeId {

    private final String value;

    public NodeId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "node";
        }
        this.value = host + "-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public String value() {
        return value;
    }

    @Override
    public String toString() {
        return value;
    }
}
