<%@ page session="false" contentType="text/plain;charset=UTF-8" trimDirectiveWhitespaces="true"
         import="java.io.InputStream,java.security.MessageDigest" %>
<%-- Reads the raw body to the end and reports its length and SHA-256: proves the body
     arrived intact whatever framing the client used (Content-Length or chunked). --%>
<%
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    InputStream in = request.getInputStream();
    byte[] buf = new byte[65536];
    long total = 0;
    int r;
    while ((r = in.read(buf)) != -1) {
        md.update(buf, 0, r);
        total += r;
    }
    StringBuilder hex = new StringBuilder();
    for (byte x : md.digest()) hex.append(String.format("%02x", x & 0xff));
    out.print("length=" + total + "\n");
    out.print("sha256=" + hex + "\n");
    out.print("contentLength=" + request.getContentLengthLong() + "\n");
    out.print("node=" + System.getProperty("jvm.route") + "\n");
%>
