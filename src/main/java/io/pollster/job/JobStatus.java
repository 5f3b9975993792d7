package io.pollster.job;

public enum JobStatus {
    ACTIVE, STOPPED
}
