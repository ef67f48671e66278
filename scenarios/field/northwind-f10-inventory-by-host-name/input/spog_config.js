// Web server used by the Unified CCE Administration (SPOG) Email and Chat gadget
var web_server_protocol = "https";
var web_server_name = "ece.corp.northwind.test";
