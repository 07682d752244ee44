<%@ page session="false" trimDirectiveWhitespaces="true"
         import="java.io.OutputStream,java.security.MessageDigest" %>
<%-- ?size=N (default 1 MiB) deterministic bytes b[i] = (i*31) % 251, with Content-Length and
     X-Body-Sha256 so the client can check the body end to end. Written to the OutputStream,
     hence no template text at all in this file (not even a final newline). --%>
<%
    String s = request.getParameter("size");
    int size = (s == null) ? 1048576 : Integer.parseInt(s);
    byte[] body = new byte[size];
    for (int i = 0; i < size; i++) body[i] = (byte) ((i * 31L) % 251);
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    StringBuilder hex = new StringBuilder();
    for (byte x : md.digest(body)) hex.append(String.format("%02x", x & 0xff));
    response.setContentType("application/octet-stream");
    response.setContentLengthLong(size);
    response.setHeader("X-Body-Sha256", hex.toString());
    OutputStream os = response.getOutputStream();
    os.write(body);
    os.flush();
%>