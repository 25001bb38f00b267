package org.gitopsrelay.testing;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.jboss.logmanager.ExtHandler;
import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.LogContext;
import org.jboss.logmanager.Logger;

/**
 * Every log record of the running application from the moment it is attached: the logger, the formatted message
 * with its parameters, the stack trace and the MDC. Tests grep it for secrets and read the per-event lines.
 */
public final class LogCapture extends ExtHandler implements AutoCloseable {

    /** One captured record. */
    public record Line(String logger, String text, Map<String, String> mdc) {
    }

    private final List<Line> lines = new ArrayList<>();
    private final Logger root;

    private LogCapture() {
        root = LogContext.getLogContext().getLogger("");
        root.addHandler(this);
    }

    public static LogCapture attach() {
        return new LogCapture();
    }

    @Override
    protected synchronized void doPublish(ExtLogRecord record) {
        StringBuilder text = new StringBuilder(String.valueOf(record.getFormattedMessage()));
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            text.append('\n').append(trace);
        }
        lines.add(new Line(record.getLoggerName(), text.toString(), Map.copyOf(record.getMdcCopy())));
    }

    public synchronized List<Line> lines() {
        return List.copyOf(lines);
    }

    /** The lines that contain any of {@code secrets}: there must be none. */
    public List<String> leaking(String... secrets) {
        List<String> leaks = new ArrayList<>();
        for (Line line : lines()) {
            for (String secret : secrets) {
                if (line.text().contains(secret) || line.mdc().values().stream().anyMatch(v -> v.contains(secret))) {
                    leaks.add(line.logger() + ": " + line.text());
                }
            }
        }
        return leaks;
    }

    @Override
    public void close() {
        root.removeHandler(this);
    }
}
