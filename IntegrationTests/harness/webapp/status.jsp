<%@ page session="false" contentType="text/plain;charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- Answers with ?code=N (default 200) and a small body; ?location= adds a Location header
     (for redirects). --%>
<%
    String s = request.getParameter("code");
    int code = (s == null) ? 200 : Integer.parseInt(s);
    String loc = request.getParameter("location");
    if (loc != null) response.setHeader("Location", loc);
    response.setStatus(code);
    if (code != 204 && code != 304) {
        out.print("status=" + code + "\n");
        out.print("node=" + System.getProperty("jvm.route") + "\n");
    }
%>
