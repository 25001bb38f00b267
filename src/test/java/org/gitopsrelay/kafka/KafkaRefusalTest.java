package org.gitopsrelay.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.gitopsrelay.shared.RelayException;
import org.junit.jupiter.api.Test;

class KafkaRefusalTest {

    @Test
    void aBrokerThatSaysNoIsARefusalAndOneThatIsAwayIsAnOutage() {
        assertThat(EventPublisher.isRefusal(new TopicAuthorizationException("relay.dead-letter"))).isTrue();
        assertThat(EventPublisher.isRefusal(new RecordTooLargeException("2 MiB"))).isTrue();
        assertThat(EventPublisher.isRefusal(new NotLeaderOrFollowerException("moving"))).isFalse();
        assertThat(EventPublisher.isRefusal(new TimeoutException("no answer"))).isFalse();
        assertThat(EventPublisher.isRefusal(new java.io.IOException("disk"))).isFalse();
        assertThat(RelayException.Reason.KAFKA_REFUSED.retryable()).isFalse();
    }
}
