#!/usr/bin/env node
/**
 * Chat Room Demo for Miniboa: miniboa's `examples/chat_demo.py`, ported line
 * by line to `telnetlib3/compat/miniboa` (the Python is kept alongside).
 *
 *   node dist/bin/examples/miniboa-chat.js [PORT]      (default 7777; 0 picks one)
 *
 * Everyone who connects (`telnet localhost 7777`) sees what the others
 * type; `bye` leaves, `shutdown` stops the server, idle clients are kicked
 * after 5 minutes. One thread, one poll loop, no callbacks across threads.
 */
import { TelnetServer, type TelnetClient } from '../../compat/miniboa.js';

// import logging                         (Python's logging, at INFO, as basicConfig prints it)
const logging = {
  info: (msg: string): void => { process.stderr.write(`INFO:root:${msg}\n`); },
};

const IDLE_TIMEOUT = 300; //                IDLE_TIMEOUT = 300
const CLIENT_LIST: TelnetClient[] = []; //  CLIENT_LIST = []
let SERVER_RUN = true; //                   SERVER_RUN = True

/** Sample on_connect function. Handles new connections. */
function on_connect(client: TelnetClient): void {
  logging.info(`Opened connection to ${client.addrport()}`);
  broadcast(`${client.addrport()} joins the conversation.\n`);
  CLIENT_LIST.push(client);
  client.send(`Welcome to the Chat Server, ${client.addrport()}.\n`);
}

/** Sample on_disconnect function. Handles lost connections. */
function on_disconnect(client: TelnetClient): void {
  logging.info(`Lost connection to ${client.addrport()}`);
  CLIENT_LIST.splice(CLIENT_LIST.indexOf(client), 1); //   CLIENT_LIST.remove(client)
  broadcast(`${client.addrport()} leaves the conversation.\n`);
}

/** Looks for idle clients and disconnects them by setting active to False. */
function kick_idle(): void {
  // Who hasn't been typing?
  for (const client of CLIENT_LIST) {
    if (client.idle() > IDLE_TIMEOUT) {
      logging.info(`Kicking idle lobby client from ${client.addrport()}`);
      client.active = false;
    }
  }
}

/**
 * Check each client, if client.cmd_ready == True then there is a line of
 * input available via client.get_command().
 */
function process_clients(): void {
  for (const client of CLIENT_LIST) {
    if (client.active && client.cmd_ready) {
      // If the client sends input echo it to the chat room
      chat(client);
    }
  }
}

/** Send msg to every client. */
function broadcast(msg: string): void {
  for (const client of CLIENT_LIST) client.send(msg);
}

/** Echo whatever client types to everyone. */
function chat(client: TelnetClient): void {
  const msg = client.get_command()!;
  logging.info(`${client.addrport()} says '${msg}'`);

  for (const guest of CLIENT_LIST) {
    if (guest !== client) guest.send(`${client.addrport()} says '${msg}'\n`);
    else guest.send(`You say '${msg}'\n`);
  }

  const cmd = msg.toLowerCase();
  // bye = disconnect
  if (cmd === 'bye') client.active = false;
  // shutdown == stop the server
  else if (cmd === 'shutdown') SERVER_RUN = false;
}

// if __name__ == '__main__':
// Simple chat server to demonstrate connection handling via the
// async and telnet modules.

// Create a telnet server with a port, address,
// a function to call with new connections
// and one to call with lost connections.
const telnet_server = new TelnetServer({
  port: Number(process.argv[2] ?? 7777),
  address: '',
  on_connect,
  on_disconnect,
  timeout: 0.05,
});

logging.info(`Listening for connections on port ${telnet_server.port}. CTRL-C to break.`);

// Server Loop
while (SERVER_RUN) {
  telnet_server.poll(); //   Send, Recv, and look for new connections
  kick_idle(); //            Check for idle clients
  process_clients(); //      Check for client input
}

logging.info('Server shutdown.');
// (Python closes the sockets when the interpreter exits; say goodbye explicitly here.)
telnet_server.poll();
telnet_server.stop();
