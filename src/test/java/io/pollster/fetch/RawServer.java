package io.pollster.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;

/** A TCP server on 127.0.0.1 that reads a request head and answers with whatever bytes it is given, then closes. */
final class RawServer implements AutoCloseable {

    private final ServerSocket socket;
    private final AtomicInteger connections = new AtomicInteger();

    RawServer(byte[] answer) {
        try {
            socket = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread.ofVirtual().start(() -> {
            while (!socket.isClosed()) {
                try {
                    Socket connection = socket.accept();
                    connections.incrementAndGet();
                    Thread.ofVirtual().start(() -> answer(connection, answer));
                } catch (IOException closed) {
                    return;
                }
            }
        });
    }

    private static void answer(Socket connection, byte[] answer) {
        try (connection) {
            InputStream in = connection.getInputStream();
            int matched = 0;
            byte[] end = "\r\n\r\n".getBytes();
            for (int b; matched < end.length && (b = in.read()) != -1; ) {
                matched = b == end[matched] ? matched + 1 : (b == end[0] ? 1 : 0);
            }
            OutputStream out = connection.getOutputStream();
            out.write(answer);
            out.flush();
        } catch (IOException ignored) {
            // the client gave up first
        }
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/");
    }

    int connections() {
        return connections.get();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
