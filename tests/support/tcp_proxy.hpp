#pragma once

#include <netinet/in.h>

#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace crm::test {

/// A TCP relay in front of a real server (PostgreSQL, Redis), so a test can make that server
/// go away and come back as a network failure would, without stopping the shared one.
class TcpProxy {
public:
    /// Listens on a free port of 127.0.0.1 and relays every connection to target_host (an IPv4
    /// address; anything else throws here) and target_port.
    TcpProxy(std::string target_host, unsigned short target_port);
    ~TcpProxy();
    TcpProxy(const TcpProxy&) = delete;
    TcpProxy& operator=(const TcpProxy&) = delete;

    unsigned short port() const { return port_; }

    /// The server "goes away": every relayed connection is closed and new ones are refused.
    void cut();
    /// The server is back: the same port accepts and relays again.
    void restore();

private:
    void listen();
    void acceptLoop(int listener);
    void relay(int client);
    int connectTarget() const;
    void shutdownAll();

    sockaddr_in target_{};
    unsigned short port_ = 0;

    std::mutex mutex_;
    int listener_ = -1;
    bool cut_ = false;
    std::set<int> open_;  // relayed sockets, both ends; shut down by cut()
    std::thread acceptor_;
    std::vector<std::thread> relays_;
};

}  // namespace crm::test
