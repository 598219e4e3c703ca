#include "support/tcp_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace crm::test {
namespace {

sockaddr_in ipv4(const std::string& host, unsigned short port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
        throw std::invalid_argument("TcpProxy needs an IPv4 address, got " + host);
    }
    return address;
}

// Copies what is readable on `from` to `to`; false once either side is finished.
bool pump(int from, int to) {
    char buffer[16384];
    const auto received = ::recv(from, buffer, sizeof buffer, 0);
    if (received <= 0) {
        return false;
    }
    for (ssize_t sent = 0; sent < received;) {
        const auto n = ::send(to, buffer + sent, static_cast<size_t>(received - sent), MSG_NOSIGNAL);
        if (n <= 0) {
            return false;
        }
        sent += n;
    }
    return true;
}

}  // namespace

TcpProxy::TcpProxy(std::string target_host, unsigned short target_port)
    : target_(ipv4(target_host, target_port)) {
    listen();
}

TcpProxy::~TcpProxy() {
    cut();
}

void TcpProxy::listen() {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    const int yes = 1;
    ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    auto address = ipv4("127.0.0.1", port_);  // port_ 0 the first time: any free port
    if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener, 64) != 0) {
        const std::string reason = std::strerror(errno);
        ::close(listener);
        throw std::runtime_error("TcpProxy cannot listen: " + reason);
    }
    socklen_t length = sizeof address;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    std::lock_guard lock(mutex_);
    listener_ = listener;
    cut_ = false;
    acceptor_ = std::thread([this, listener] { acceptLoop(listener); });
}

void TcpProxy::acceptLoop(int listener) {
    while (true) {
        const int client = ::accept(listener, nullptr, nullptr);
        std::lock_guard lock(mutex_);
        if (client < 0) {
            if (cut_) {
                return;  // the listener was shut down by cut()
            }
            continue;  // a client gave up before being accepted, or a signal: keep listening
        }
        if (cut_) {
            ::close(client);
            return;
        }
        open_.insert(client);
        relays_.emplace_back([this, client] { relay(client); });
    }
}

int TcpProxy::connectTarget() const {
    const int target = ::socket(AF_INET, SOCK_STREAM, 0);
    if (::connect(target, reinterpret_cast<const sockaddr*>(&target_), sizeof target_) != 0) {
        ::close(target);
        return -1;
    }
    return target;
}

void TcpProxy::relay(int client) {
    int target = connectTarget();
    if (target >= 0) {
        std::lock_guard lock(mutex_);
        open_.insert(target);
        if (cut_) {
            ::shutdown(target, SHUT_RDWR);  // cut() ran while this connection was being made
        }
    }
    pollfd fds[2] = {{client, POLLIN, 0}, {target, POLLIN, 0}};
    while (target >= 0 && ::poll(fds, 2, -1) > 0) {
        if ((fds[0].revents != 0 && !pump(client, target)) ||
            (fds[1].revents != 0 && !pump(target, client))) {
            break;
        }
    }
    // Forgotten before closed, so that cut() never shuts down a number reused elsewhere.
    std::lock_guard lock(mutex_);
    for (const int fd : {client, target}) {
        if (fd >= 0) {
            open_.erase(fd);
            ::close(fd);
        }
    }
}

void TcpProxy::shutdownAll() {
    std::lock_guard lock(mutex_);
    cut_ = true;
    if (listener_ >= 0) {
        ::shutdown(listener_, SHUT_RDWR);  // wakes accept()
    }
    for (const int fd : open_) {
        ::shutdown(fd, SHUT_RDWR);  // wakes poll() in the relay
    }
}

void TcpProxy::cut() {
    shutdownAll();
    if (acceptor_.joinable()) {
        acceptor_.join();
    }
    std::vector<std::thread> relays;
    {
        std::lock_guard lock(mutex_);
        relays.swap(relays_);
        if (listener_ >= 0) {
            ::close(listener_);
            listener_ = -1;
        }
    }
    for (auto& relay : relays) {
        relay.join();
    }
}

void TcpProxy::restore() {
    if (listener_ < 0) {
        listen();
    }
}

}  // namespace crm::test
