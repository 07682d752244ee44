<%@ page session="false" contentType="text/plain;charset=UTF-8" trimDirectiveWhitespaces="true"
         import="java.util.*" %>
<%-- Everything Tomcat received, as key=value lines, so tests can compare what the
     front end forwarded (request line, connection data, headers in order, AJP attributes). --%>
<%
    StringBuilder b = new StringBuilder();
    b.append("method=").append(request.getMethod()).append('\n');
    b.append("requestURI=").append(request.getRequestURI()).append('\n');
    b.append("queryString=").append(request.getQueryString()).append('\n');
    b.append("protocol=").append(request.getProtocol()).append('\n');
    b.append("remoteAddr=").append(request.getRemoteAddr()).append('\n');
    b.append("remoteHost=").append(request.getRemoteHost()).append('\n');
    b.append("remotePort=").append(request.getRemotePort()).append('\n');
    b.append("localAddr=").append(request.getLocalAddr()).append('\n');
    b.append("localPort=").append(request.getLocalPort()).append('\n');
    b.append("localName=").append(request.getLocalName()).append('\n');
    b.append("serverName=").append(request.getServerName()).append('\n');
    b.append("serverPort=").append(request.getServerPort()).append('\n');
    b.append("scheme=").append(request.getScheme()).append('\n');
    b.append("isSecure=").append(request.isSecure()).append('\n');
    b.append("remoteUser=").append(request.getRemoteUser()).append('\n');
    b.append("authType=").append(request.getAuthType()).append('\n');
    b.append("contentLength=").append(request.getContentLengthLong()).append('\n');
    b.append("contentType=").append(request.getContentType()).append('\n');
    for (Enumeration<String> names = request.getHeaderNames(); names.hasMoreElements();) {
        String name = names.nextElement();
        for (Enumeration<String> vals = request.getHeaders(name); vals.hasMoreElements();) {
            b.append("header.").append(name.toLowerCase(Locale.ROOT)).append('=')
             .append(vals.nextElement()).append('\n');
        }
    }
    String[] attrs = {
        "jakarta.servlet.request.X509Certificate",
        "jakarta.servlet.request.cipher_suite",
        "jakarta.servlet.request.key_size",
        "jakarta.servlet.request.ssl_session_id",
        "jakarta.servlet.request.secure_protocol",
        "org.apache.tomcat.util.net.secure_protocol_version",
        "AJP_SSL_PROTOCOL",
        "AJP_REMOTE_PORT",
        "AJP_LOCAL_ADDR",
        "JK_LB_ACTIVATION",
    };
    for (String a : attrs) {
        Object v = request.getAttribute(a);
        if (v == null) continue;
        if (v instanceof Object[]) {
            b.append("attr.").append(a).append(".count=").append(((Object[]) v).length).append('\n');
        } else {
            b.append("attr.").append(a).append('=').append(v).append('\n');
            if (!(v instanceof String)) {   // key_size must be an Integer (AJP int, not string)
                b.append("attr.").append(a).append(".type=").append(v.getClass().getName()).append('\n');
            }
        }
    }
    // ?attrs=A,B,...: more attribute names to print (JkEnvVar values, which Tomcat keeps as
    // request attributes but getAttributeNames() does not list).
    String extra = request.getParameter("attrs");
    if (extra != null) {
        for (String a : extra.split(",")) {
            if (a.isEmpty()) continue;
            Object v = request.getAttribute(a);
            b.append("attr.").append(a).append('=').append(v).append('\n');
        }
    }
    List<String> all = Collections.list(request.getAttributeNames());
    Collections.sort(all);
    b.append("attributes=").append(String.join(",", all)).append('\n');
    b.append("node=").append(System.getProperty("jvm.route")).append('\n');
    out.print(b);
%>
